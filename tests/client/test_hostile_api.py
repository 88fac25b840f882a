"""Trust nothing the network says (#11): each test talks over real HTTP to a stand-in API
that misbehaves in one way, and checks the exact error, that it came in bounded time,
that nothing was written outside the client's cache folder, and that the bearer token
shows in no message, exception attribute or log record.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock
from urllib.parse import unquote

import pytest
import requests
from requests.adapters import HTTPAdapter
from werkzeug.wrappers import Request, Response

from compliance_frames import Client, ComplianceJob
from compliance_frames.client.ledger import Ledger
from compliance_frames.client.polling import MAX_RESET_AHEAD
from compliance_frames.client.sessions import SessionStore
from compliance_frames.emulator import ManualClock
from compliance_frames.errors import (
    ConfigurationError,
    DownloadError,
    InputError,
    InvalidRequestError,
    JobNotFoundError,
    MalformedJobError,
    RateLimitError,
    ServerError,
)
from tests.standins import StandIn, standin

pytestmark = pytest.mark.flow("bytepath")  # stand-ins of their own: one run, no emulator

TOKEN = "AAAAAAAAAAAAAAAAAAAAAHostile%2Fbearer%3Dtoken0123456789abcdefghijklmnopqrstuvwxyz"
FORMS = (TOKEN, unquote(TOKEN))  # as sent, and as a server may decode it
JOBS = "/2/compliance/jobs"
GOOD_ID = "1446017776678801409"
OTHER_ID = "1446017776678801410"
SECONDS = 10.0  # every test here ends well within this


# -- helpers ---------------------------------------------------------------------------------


def job_json(base: str, job_id: str = GOOD_ID, **changes: Any) -> dict[str, Any]:
    """A job as X writes it, its transfer URLs on the stand-in; ``changes`` override fields
    (None removes one)."""
    job: dict[str, Any] = {
        "id": job_id,
        "type": "tweets",
        "name": "good",
        "status": "complete",
        "resumable": False,
        "created_at": "2026-01-01T00:00:00.000Z",
        "upload_url": f"{base}{JOBS}/{job_id}/upload?token=t",
        "upload_expires_at": "2026-01-01T00:15:00.000Z",
        "download_url": f"{base}{JOBS}/{job_id}/download?token=t",
        "download_expires_at": "2099-01-08T00:00:00.000Z",
    }
    job.update(changes)
    return {key: value for key, value in job.items() if value is not None}


def answer(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def cache_of(tmp_path: Path) -> Path:
    """The client's cache folder: deep enough that ``../..`` still lands in tmp_path."""
    return tmp_path / "a" / "b" / "cache"


def make(server: StandIn | str, tmp_path: Path, token: str = TOKEN, **options: Any) -> Client:
    options.setdefault("cache_dir", cache_of(tmp_path))
    options.setdefault("max_retries", 3)
    options.setdefault("timeout", 5.0)
    options.setdefault("poll_interval", 0.01)
    options.setdefault("max_poll_interval", 0.05)
    url = server.url if isinstance(server, StandIn) else server
    return Client(token, url, **options)


def written_outside(tmp_path: Path) -> list[str]:
    """Files and folders in tmp_path that are not the cache folder or in it."""
    cache = cache_of(tmp_path)
    allowed = {cache, *cache.parents}
    return sorted(
        str(path.relative_to(tmp_path))
        for path in tmp_path.rglob("*")
        if path not in allowed and cache not in path.parents
    )


def texts_of(thing: Any) -> list[str]:
    """What an exception (and its causes) or any value shows: str, repr, attributes."""
    texts = [str(thing), repr(thing)]
    if isinstance(thing, BaseException):
        texts += [repr(vars(thing)), repr(thing.args)]
        for linked in (thing.__cause__, thing.__context__):
            if linked is not None:
                texts += texts_of(linked)
    return texts


def assert_no_token(*things: Any, caplog: pytest.LogCaptureFixture | None = None) -> None:
    texts = [text for thing in things for text in texts_of(thing)]
    if caplog is not None:
        texts.append(caplog.text)
        texts += [repr(record.__dict__) for record in caplog.records]
    for text in texts:
        for form in FORMS:
            assert form not in text


@contextmanager
def bounded(seconds: float = SECONDS) -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < seconds


class _Route(HTTPAdapter):
    """Sends what a session addresses to ``origin`` to a stand-in instead (to play an
    https API with a plain-http stand-in)."""

    def __init__(self, origin: str, target: str) -> None:
        super().__init__()
        self.origin, self.target = origin, target

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        request.url = self.target + (request.url or "")[len(self.origin) :]
        return super().send(request, **kwargs)


@pytest.fixture(autouse=True)
def _all_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # ours, requests' and urllib3's: none may show the token


# -- job ids that are not job ids --------------------------------------------------------------

BAD_IDS = ["../../x", "ABSOLUTE", "1x", "1" * 20]
"""``ABSOLUTE`` stands for an absolute path inside the test's folder (like ``/etc/x``)."""


def _bad_id(value: str, tmp_path: Path) -> str:
    return str(tmp_path / "x") if value == "ABSOLUTE" else value


@pytest.mark.parametrize("raw", BAD_IDS)
def test_an_id_that_is_not_one_from_create_is_refused_before_it_names_a_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    bad = _bad_id(raw, tmp_path)

    def handle(request: Request) -> Response:
        if request.path == JOBS and request.method == "POST":
            return answer({"data": job_json(server.url, bad, status="created", name=None)})
        if request.path == JOBS:
            return answer({"meta": {"result_count": 0}})
        return answer({"errors": [{"title": "Not Found"}]}, 404)

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(MalformedJobError, match="is not 1-19 digits") as caught:
            client.run_job([20, 30], "tweets", name="mine", progress=False)
    assert written_outside(tmp_path) == []
    assert not any(r.method == "PUT" or r.path.endswith("/upload") for r in server.requests)
    assert_no_token(caught.value, caplog=caplog)


@pytest.mark.parametrize("raw", BAD_IDS)
def test_an_id_that_is_not_one_from_get_is_refused_before_results_are_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    bad = _bad_id(raw, tmp_path)

    def handle(request: Request) -> Response:
        if request.path == f"{JOBS}/{GOOD_ID}":
            return answer({"data": job_json(server.url, bad)})
        if request.path.endswith("/download"):
            return Response(b'{"id":"20","action":"delete"}\n', mimetype="application/x-ndjson")
        return answer({"errors": [{"title": "Not Found"}]}, 404)

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(MalformedJobError, match="is not 1-19 digits") as caught:
            client.download_results(GOOD_ID)
    assert written_outside(tmp_path) == []
    assert [r.path for r in server.requests] == [f"{JOBS}/{GOOD_ID}"]
    assert_no_token(caught.value, caplog=caplog)


@pytest.mark.parametrize("raw", BAD_IDS)
def test_an_id_that_is_not_one_in_a_list_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    bad = _bad_id(raw, tmp_path)

    def handle(request: Request) -> Response:
        return answer({"data": [job_json(server.url, bad), job_json(server.url)]})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        jobs = client.list_jobs("tweets")
    assert [job.id for job in jobs] == [GOOD_ID]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("skipped a job" in text and "is not 1-19 digits" in text for text in warned)
    assert written_outside(tmp_path) == []
    assert_no_token(caplog=caplog)


@pytest.mark.parametrize("raw", BAD_IDS)
def test_the_ledger_and_the_session_store_never_make_a_path_of_a_bad_id(
    tmp_path: Path, raw: str
) -> None:
    bad = _bad_id(raw, tmp_path)
    cache = cache_of(tmp_path)
    ledger, sessions = Ledger(cache / "jobs"), SessionStore(cache / "sessions")
    with bounded():
        for action in (
            lambda: ledger.record(bad, "ab" * 32, 3),
            lambda: ledger.mark_cancelled(bad),
            lambda: ledger.knows(bad),
            lambda: sessions.save(bad, "https://storage.example/u?upload_id=1"),
            lambda: sessions.load(bad),
            lambda: sessions.forget(bad),
        ):
            with pytest.raises(InputError, match="as a job id"):
                action()
    assert written_outside(tmp_path) == []


def test_a_saved_session_that_is_not_an_http_url_is_not_used(tmp_path: Path) -> None:
    sessions = SessionStore(cache_of(tmp_path) / "sessions")
    sessions.save(GOOD_ID, "file:///etc/passwd")
    assert sessions.load(GOOD_ID) is None
    sessions.save(GOOD_ID, "https://storage.example/u?upload_id=1")
    assert sessions.load(GOOD_ID) == "https://storage.example/u?upload_id=1"


# -- jobs this client cannot use -------------------------------------------------------------

UNUSABLE = {
    "complete-without-download-url": ({"download_url": None}, "no 'download_url'"),
    "created-at-not-a-time": ({"created_at": "yesterday"}, "'created_at' \"yesterday\""),
    "created-at-a-number": ({"created_at": 1767225600}, "'created_at' is an int"),
    "month-13": ({"upload_expires_at": "2026-13-01T00:00:00Z"}, "'upload_expires_at'"),
    "beyond-year-9999": (
        {"download_expires_at": "9999-12-31T23:59:59-23:59"},
        "'download_expires_at'",
    ),
    "unknown-type": ({"type": "spaces"}, 'type "spaces" is neither'),
    "status-a-number": ({"status": 3}, "'status' is an int"),
    "resumable-a-string": ({"resumable": "false"}, "'resumable' is a str"),
    "url-a-list": ({"upload_url": ["https://a"]}, "'upload_url' is a list"),
}


@pytest.mark.parametrize(("changes", "said"), UNUSABLE.values(), ids=UNUSABLE.keys())
def test_a_job_that_cannot_be_used_is_a_server_error_showing_what_came(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, changes: dict[str, Any], said: str
) -> None:
    def handle(request: Request) -> Response:
        # the token, echoed in a field this client keeps, must not come back in the message
        return answer(
            {"data": job_json(server.url, name=request.headers["Authorization"], **changes)}
        )

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(MalformedJobError, match="cannot use") as caught:
            client.get_job(GOOD_ID)
    message = str(caught.value)
    assert said in message
    assert f'"id": "{GOOD_ID}"' in message  # what came is shown...
    assert "Bearer ***" in message  # ...masked...
    assert "token=t" not in message  # ...and without the URLs' credentials
    assert len(message) < 700
    assert_no_token(caught.value, caplog=caplog)


def test_someone_elses_unusable_jobs_are_skipped_in_lists(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(request: Request) -> Response:
        base = server.url
        return answer(
            {
                "data": [
                    job_json(base, GOOD_ID, created_at="2026-01-02T00:00:00.000Z"),
                    job_json(base, "1", type="spaces", name="someone else's"),
                    job_json(base, "2", created_at=None),
                    "not a job",
                    job_json(base, OTHER_ID, name="other"),
                ]
            }
        )

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        listed = client.list_jobs("tweets")
        found = client.find_jobs("good", "tweets")
    assert [job.id for job in listed] == [GOOD_ID, OTHER_ID]
    assert [job.id for job in found] == [GOOD_ID]
    warned = " | ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "type \"spaces\" is neither 'tweets' nor 'users'" in warned
    assert "no 'created_at'" in warned
    assert "a job is an object, not a str" in warned
    assert_no_token(caplog=caplog)


def test_get_answering_about_another_job_is_a_server_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(request: Request) -> Response:
        return answer({"data": job_json(server.url, OTHER_ID)})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(ServerError, match=f"getting job {GOOD_ID} with another job") as caught:
            client.get_job(GOOD_ID)
    assert type(caught.value) is ServerError
    assert OTHER_ID in str(caught.value)
    assert written_outside(tmp_path) == []
    assert_no_token(caught.value, caplog=caplog)


def test_cancel_answering_about_another_job_is_a_server_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(request: Request) -> Response:
        if request.method == "DELETE":
            return answer({"data": job_json(server.url, OTHER_ID, status="failed")})
        return answer({"data": job_json(server.url, GOOD_ID, status="in_progress")})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(ServerError, match="with another job") as caught:
            client.cancel_job(GOOD_ID)
        assert not client.ledger.knows(OTHER_ID)
    assert [r.method for r in server.requests] == ["GET", "DELETE"]
    assert_no_token(caught.value, caplog=caplog)


# -- URLs a job may not send anything to -------------------------------------------------------

BAD_URLS = {
    "relative": ("upload_url", "/2/compliance/jobs/1/upload?token=t", "not an absolute http"),
    "ftp": ("download_url", "ftp://127.0.0.1/results", "not an absolute http"),
    "no-host": ("download_url", "https:///results", "not an absolute http"),
}


@pytest.mark.parametrize(("field", "url", "said"), BAD_URLS.values(), ids=BAD_URLS.keys())
def test_a_job_whose_urls_are_not_absolute_http_is_a_server_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, field: str, url: str, said: str
) -> None:
    def handle(request: Request) -> Response:
        return answer({"data": job_json(server.url, **{field: url})})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(ServerError, match=said) as caught:
            client.get_job(GOOD_ID)
    assert type(caught.value) is ServerError
    assert "token=t" not in str(caught.value)
    assert [r.method for r in server.requests] == ["GET"]
    assert_no_token(caught.value, caplog=caplog)


def test_plain_http_to_another_host_while_the_api_is_https_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, no_sleep: MagicMock
) -> None:
    api = "https://api.x.com"

    def handle(request: Request) -> Response:
        return answer({"data": job_json(api, download_url="http://results.example.net/r?sig=s")})

    with standin(handle) as server, bounded():
        client = make(api, tmp_path)
        client.transport.api_session.mount(api, _Route(api, server.url))
        with pytest.raises(ServerError, match=r"plain http to results\.example\.net") as caught:
            client.download_results(GOOD_ID)
        # a job made by hand is refused at the transfer, before anything is sent
        job = dataclasses.replace(
            ComplianceJob.from_api(job_json(api)), download_url="ftp://127.0.0.1/r"
        )
        with pytest.raises(ServerError, match="not an absolute http"):
            client.download_results(job)
    assert [r.path for r in server.requests] == [f"{JOBS}/{GOOD_ID}"]
    assert no_sleep.call_count == 0
    assert written_outside(tmp_path) == []
    assert_no_token(caught.value, caplog=caplog)


# -- the bearer token ------------------------------------------------------------------------

SPOILT = {
    "newline": (TOKEN[:40] + "\n" + TOKEN[40:], "a newline at position 41"),
    "carriage-return": (TOKEN + "\rX", f"a carriage return at position {len(TOKEN) + 1}"),
    "nul": (TOKEN[:10] + "\x00" + TOKEN[10:], "a NUL character at position 11"),
    "smart-quote": (TOKEN[:5] + "\u2019" + TOKEN[5:], "outside Latin-1 (U+2019"),
    "emoji": (TOKEN + "\U0001f511", "outside Latin-1 (U+1F511"),
}


@pytest.mark.parametrize(("token", "said"), SPOILT.values(), ids=SPOILT.keys())
def test_a_token_that_cannot_be_a_header_is_a_configuration_error_that_hides_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, token: str, said: str
) -> None:
    def handle(request: Request) -> Response:
        return answer({"data": []})

    refused = pytest.raises(ConfigurationError, match="cannot be sent in an HTTP header")
    with standin(handle) as server, bounded(), refused as caught:
        make(server, tmp_path, token=token).list_jobs("tweets")
    assert said in str(caught.value)
    assert server.requests == []
    assert_no_token(caught.value, caplog=caplog)
    assert TOKEN[:20] not in str(caught.value)


def test_a_token_echoed_in_a_400_problem_is_masked_everywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(request: Request) -> Response:
        sent = request.headers["Authorization"]
        problem = {
            "title": f"Invalid Request ({sent})",
            "detail": f"You sent {sent}, decoded {unquote(sent)}",
            "type": "https://api.twitter.com/2/problems/invalid-request",
            "errors": [{"message": f"bad header {sent}", "parameters": {sent: [sent]}}],
        }
        return answer(problem, 400)

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(InvalidRequestError) as caught:
            client.list_jobs("tweets")
    error = caught.value
    assert "bad header Bearer ***" in str(error)
    assert error.detail == "You sent Bearer ***, decoded Bearer ***"
    assert error.title == "Invalid Request (Bearer ***)"
    assert error.errors == [
        {"message": "bad header Bearer ***", "parameters": {"Bearer ***": ["Bearer ***"]}}
    ]
    assert_no_token(error, caplog=caplog)


def test_a_token_echoed_in_a_200_not_found_is_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(request: Request) -> Response:
        error = {
            "type": "https://api.twitter.com/2/problems/resource-not-found",
            "title": "Not Found Error",
            "detail": f"Could not find a job for {request.headers['Authorization']}",
        }
        return answer({"errors": [error]})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(JobNotFoundError) as caught:
            client.get_job(GOOD_ID)
    assert caught.value.body["errors"][0]["detail"] == "Could not find a job for Bearer ***"
    assert_no_token(caught.value, caplog=caplog)


def test_a_token_echoed_in_a_500_error_page_is_masked_and_the_page_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, no_sleep: MagicMock
) -> None:
    def handle(request: Request) -> Response:
        page = (
            "<html><head><title>Proxy error</title></head><body><h1>Upstream failed</h1>"
            f"<p>Request headers: Authorization: {request.headers['Authorization']}</p>"
            "</body></html>"
        )
        return Response(page, status=500, mimetype="text/html")

    with standin(handle) as server, bounded():
        client = make(server, tmp_path, max_retries=2)
        with pytest.raises(ServerError) as caught:
            client.get_job(GOOD_ID)
    assert type(caught.value) is ServerError
    assert caught.value.status == 500
    assert (
        "It answered: Proxy error Upstream failed Request headers: Authorization: Bearer ***"
        in str(caught.value)
    )
    assert len(server.requests) == 3
    assert_no_token(caught.value, caplog=caplog)


def test_a_token_echoed_in_a_transfers_xml_error_is_masked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, no_sleep: MagicMock
) -> None:
    def handle(request: Request) -> Response:
        if request.path.endswith("/download"):  # on the API's origin: the token went along
            sent = request.headers["Authorization"]
            xml = f"<Error><Code>AccessDenied</Code><Message>{sent}</Message></Error>"
            return Response(xml, status=403, mimetype="application/xml")
        return answer({"data": job_json(server.url)})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        with pytest.raises(DownloadError, match=r"AccessDenied: Bearer \*\*\*") as caught:
            client.download_results(GOOD_ID)
    assert written_outside(tmp_path) == []
    assert_no_token(caught.value, caplog=caplog)


# -- rate-limit resets that are not epoch seconds ----------------------------------------------

NOW = time.time()
RESETS = {
    "milliseconds": str(int(NOW * 1000)),
    "far-future": str(int(NOW) + 10 * 365 * 24 * 3600),
    "year-5138": "99999999999",
    "overflowing": "9" * 30,
    "negative": "-5",
    "garbage": "soon",
    "superscript-digit": "\u00b2",
    "exponent": "1.7e9",
}


@pytest.mark.parametrize("reset", RESETS.values(), ids=RESETS.keys())
def test_a_429_whose_reset_is_not_epoch_seconds_backs_off_boundedly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, no_sleep: MagicMock, reset: str
) -> None:
    def handle(request: Request) -> Response:
        headers = {"x-rate-limit-limit": "150", "x-rate-limit-remaining": "0"}
        response = answer({"title": "Too Many Requests"}, 429, **headers)
        response.headers["x-rate-limit-reset"] = reset  # sent as Latin-1, as HTTP does
        return response

    with standin(handle) as server, bounded():
        client = make(server, tmp_path, max_retries=3)
        with pytest.raises(RateLimitError) as caught:
            client.get_job(GOOD_ID)
    assert caught.value.reset_at is None
    assert "reopens (X did not say when)" in str(caught.value)
    delays = [call.args[0] for call in no_sleep.call_args_list]
    assert len(delays) == 3
    assert len(server.requests) == 4
    assert delays[0] < delays[1] < delays[2] <= client.policy.max_backoff  # exponential backoff
    assert_no_token(caught.value, caplog=caplog)


def test_polling_never_sleeps_until_a_reset_in_milliseconds(
    tmp_path: Path, virtual_clock: ManualClock
) -> None:
    statuses = iter(["in_progress", "in_progress", "in_progress", "complete"])
    reset = str(int(virtual_clock.time() * 1000))
    created = datetime.fromtimestamp(virtual_clock.time(), tz=timezone.utc)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def handle(request: Request) -> Response:
        headers = {
            "x-rate-limit-limit": "150",
            "x-rate-limit-remaining": "0",  # no budget left: wait for the reset, if believed
            "x-rate-limit-reset": reset,
        }
        body = job_json(server.url, status=next(statuses), created_at=stamp)
        return answer({"data": body}, **headers)

    started = virtual_clock.time()
    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        done = client.wait(GOOD_ID)
    assert done.status.value == "complete"
    assert client.rate_state("get") is None  # the window is unknown, not years away
    assert virtual_clock.time() - started <= 3 * client.schedule.max_poll_interval
    assert virtual_clock.time() - started < MAX_RESET_AHEAD


def test_a_429_reset_is_judged_by_the_servers_clock(
    tmp_path: Path, no_sleep: MagicMock, mocker: Any
) -> None:
    """A server ten minutes behind: its reset, 30 s ahead on its clock, is 570 s past on
    ours. Judged by its own Date, the client waits about 30 s (not 0, not 630)."""
    from email.utils import formatdate

    from werkzeug.serving import WSGIRequestHandler

    behind = time.time() - 600
    mocker.patch.object(  # the server's clock, as its Date header tells it
        WSGIRequestHandler, "date_time_string", return_value=formatdate(behind, usegmt=True)
    )
    answers = iter([429, 200])

    def handle(request: Request) -> Response:
        if next(answers) == 429:
            headers = {
                "x-rate-limit-limit": "150",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(behind) + 30),
            }
            return answer({"title": "Too Many Requests"}, 429, **headers)
        return answer({"data": job_json(server.url)})

    with standin(handle) as server, bounded():
        client = make(server, tmp_path)
        assert client.get_job(GOOD_ID).id == GOOD_ID
    [delay] = [call.args[0] for call in no_sleep.call_args_list]
    assert 25 <= delay <= 35
