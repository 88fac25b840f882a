"""Where the token and the base URL come from, and what is refused."""

from __future__ import annotations

import pickle

import pytest
from pytest_mock import MockerFixture

from compliance_frames import Client, ConfigurationError
from compliance_frames.client.transport import Token


def test_token_and_base_url_from_the_environment(mocker: MockerFixture) -> None:
    mocker.patch.dict(
        "os.environ", {"BEARER_TOKEN": "env-token", "X_API_BASE_URL": "http://127.0.0.1:9/"}
    )
    client = Client()
    assert client.base_url == "http://127.0.0.1:9"
    assert client.transport._token.reveal() == "env-token"


def test_arguments_win_over_the_environment(mocker: MockerFixture) -> None:
    mocker.patch.dict(
        "os.environ", {"BEARER_TOKEN": "env-token", "X_API_BASE_URL": "http://127.0.0.1:9"}
    )
    client = Client("arg-token", "https://api.example.org")
    assert client.base_url == "https://api.example.org"
    assert client.transport._token.reveal() == "arg-token"


def test_default_base_url_is_api_x_com(mocker: MockerFixture) -> None:
    mocker.patch.dict("os.environ", {"BEARER_TOKEN": "t"}, clear=True)
    assert Client().base_url == "https://api.x.com"


def test_missing_token_says_where_to_get_one(mocker: MockerFixture) -> None:
    mocker.patch.dict("os.environ", {}, clear=True)
    with pytest.raises(ConfigurationError, match="BEARER_TOKEN") as caught:
        Client()
    assert "Emulator()" in str(caught.value)


@pytest.mark.parametrize("url", ["http://api.x.com", "http://10.0.0.5:8099", "http://example.org"])
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        Client("secret-token", url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8099", "http://localhost:1", "http://[::1]:2", "http://127.5.0.1"]
)
def test_plain_http_to_loopback_is_fine(url: str) -> None:
    assert Client("t", url).base_url == url


def test_bad_urls_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not an http"):
        Client("t", "ftp://example.org")


def test_token_is_hidden() -> None:
    client = Client("super-secret-token", "http://127.0.0.1:1")
    assert "super-secret-token" not in repr(client)
    assert "super-secret-token" not in repr(client.transport._token)
    assert "super-secret-token" not in f"{client.transport._token}"
    with pytest.raises(TypeError):
        pickle.dumps(client.transport._token)
    assert repr(Token("x")) == "Token('***')"


def test_results_dir_is_the_folder_named(tmp_path) -> None:
    named = tmp_path / "my-results"
    client = Client("token", "http://127.0.0.1:9", results_dir=named)
    assert client.results_dir == named
    assert client.cache_dir == named  # its records beside them, as before
    separate = Client("token", "http://127.0.0.1:9", results_dir=named, cache_dir=tmp_path / "c")
    assert (separate.results_dir, separate.cache_dir) == (named, tmp_path / "c")
    cached = Client("token", "http://127.0.0.1:9", cache_dir=tmp_path / "c")
    assert cached.results_dir == tmp_path / "c" / "results"  # the default layout


def test_default_cache_layout_is_unchanged(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMPLIANCE_FRAMES_CACHE", str(tmp_path / "cache"))
    client = Client("token", "http://127.0.0.1:9")
    assert client.cache_dir == tmp_path / "cache"
    assert client.results_dir == tmp_path / "cache" / "results"


def test_results_kept_by_an_earlier_version_are_moved_into_results_dir(tmp_path) -> None:
    from compliance_frames.client.integrity import Cached, cached_state, file_crc32, write_record
    from compliance_frames.models import ComplianceJob

    old = tmp_path / "results" / "12.ndjson"  # results_dir=tmp_path kept them in results/
    old.parent.mkdir()
    old.write_bytes(b'{"id":"1","reason":"deleted"}\n')
    write_record(old, old.stat().st_size, file_crc32(old))
    client = Client("token", "http://127.0.0.1:9", results_dir=tmp_path)
    from tests.client.doubles import job_body

    job = ComplianceJob.from_api(job_body("12", status="complete"))
    path = client.results_path(job)
    assert path == tmp_path / "12.ndjson"
    assert cached_state(path) is Cached.INTACT
    assert not old.exists()
