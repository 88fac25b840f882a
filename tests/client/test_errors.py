"""Each error the API can give becomes an exception that says what to do next."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pytest_mock import MockerFixture

from compliance_frames import (
    AccessDeniedError,
    AuthenticationError,
    Client,
    ComplianceError,
    ConflictError,
    InvalidRequestError,
    NetworkError,
    RateLimitError,
    ServerError,
    UsageCapError,
)
from compliance_frames.emulator import Emulator
from tests.conftest import EmulatorFactory


def test_wrong_token_is_an_authentication_error(emulator: Emulator, tmp_path) -> None:
    client = Client("not-the-token", emulator.base_url, results_dir=tmp_path)
    with pytest.raises(AuthenticationError, match="BEARER_TOKEN") as caught:
        client.list_jobs()
    assert caught.value.status == 401
    assert "not-the-token" not in str(caught.value)


def test_user_context_token_is_access_denied(emulator: Emulator, tmp_path) -> None:
    client = Client(emulator.user_token, emulator.base_url, results_dir=tmp_path)
    with pytest.raises(AccessDeniedError, match="app-only bearer token") as caught:
        client.create_job("tweets")
    assert caught.value.problem_type is not None
    assert caught.value.problem_type.endswith("unsupported-authentication")


def test_plan_without_batch_compliance_is_access_denied(
    make_emulator: EmulatorFactory, make_client
) -> None:
    client: Client = make_client(make_emulator(enrolled=False))
    with pytest.raises(AccessDeniedError, match="paid API plan") as caught:
        client.list_jobs("tweets")
    assert caught.value.reason == "client-not-enrolled"


def test_rate_limit_outlasting_the_retries_has_the_reset_time(
    make_emulator: EmulatorFactory, make_client, no_sleep
) -> None:
    emulator = make_emulator(rate_limit=40)
    client: Client = make_client(emulator, max_retries=2)
    emulator.inject("list", 429, times=3)
    with pytest.raises(RateLimitError, match="X allows 40 requests per endpoint") as caught:
        client.list_jobs("tweets")
    assert caught.value.reset_at is not None
    assert caught.value.reset_at > datetime.now(timezone.utc)
    assert no_sleep.call_count == 2  # waited for the reset twice, then gave up


def test_rate_limit_reset_beyond_the_longest_wait_is_raised_at_once(
    make_emulator: EmulatorFactory, make_client, no_sleep
) -> None:
    emulator = make_emulator(rate_window=7200)
    client: Client = make_client(emulator)
    emulator.inject("get", 429)
    with pytest.raises(RateLimitError):
        client.get_job("1")
    assert no_sleep.call_count == 0


def test_usage_cap_is_not_retried(make_emulator: EmulatorFactory, make_client, no_sleep) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    emulator.inject("create", "usage-cap")
    with pytest.raises(UsageCapError, match="will not help"):
        client.create_job("tweets")
    assert no_sleep.call_count == 0
    assert emulator.jobs == []


def test_conflict_names_the_blocking_job(emulator: Emulator, client: Client) -> None:
    emulator.stall_next_job()
    busy = client.create_job("tweets", name="someone-elses-job")
    client.upload_ids(busy, [1])
    with pytest.raises(ConflictError) as caught:
        client.create_job("tweets")
    assert caught.value.blocking_job is not None
    assert caught.value.blocking_job.id == busy.id
    assert busy.id in str(caught.value)
    assert "someone-elses-job" in str(caught.value)
    assert "a users job can run meanwhile" in str(caught.value)


def test_server_errors_outlasting_the_retries(
    make_emulator: EmulatorFactory, make_client, no_sleep
) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator, max_retries=3)
    emulator.inject("list", 503, times=4)
    with pytest.raises(ServerError, match="on X's side") as caught:
        client.list_jobs("users")
    assert caught.value.status == 503
    delays = [c.args[0] for c in no_sleep.call_args_list]
    assert len(delays) == 3
    assert delays[0] < delays[1] < delays[2]  # exponential backoff (jitter stays within a doubling)


def test_unreachable_server_is_a_network_error(make_client, no_sleep, tmp_path) -> None:
    client = Client("secret-token", "http://127.0.0.1:9", results_dir=tmp_path, max_retries=2)
    with pytest.raises(NetworkError, match="is it running") as caught:
        client.list_jobs("tweets")
    assert no_sleep.call_count == 2
    assert "secret-token" not in str(caught.value)


def test_invalid_request_explains_itself(
    emulator: Emulator, client: Client, mocker: MockerFixture
) -> None:
    # Bypass the client's own checks to see the API's answer.
    response = client.transport.api(
        "POST", "/2/compliance/jobs", json={"type": "tweets", "colour": "red"}
    )
    from compliance_frames.client.problems import api_error

    error = api_error(response, "creating a job")
    assert isinstance(error, InvalidRequestError)
    assert "[colour] is not one of [type,name,resumable]" in str(error)
    assert isinstance(error, ComplianceError)


def test_an_answer_without_a_job_is_a_server_error_not_a_key_error(tmp_path) -> None:
    import json
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    body = {"errors": [{"title": "Something else", "type": "about:blank"}]}

    def app(environ, start_response):  # a server that answers 200 with no "data"
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client("token", f"http://127.0.0.1:{server.server_port}", results_dir=tmp_path)
        with pytest.raises(ServerError, match=r"without a job: .*Something else"):
            client.get_job("1446017776678801409")
        with pytest.raises(ServerError, match="without a job"):
            client.create_job("tweets", name="n")
    finally:
        server.shutdown()
        server.server_close()
