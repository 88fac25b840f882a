"""Fast unit tests of the client's decisions, against a scripted transport (no server):
retries and backoff, what an error answer becomes, how a job's fields are checked."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pytest_mock import MockerFixture

from compliance_frames import Client
from compliance_frames.client.retry import AmbiguousRequest, Retry, RetryPolicy
from compliance_frames.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    ServerError,
    UsageCapError,
)
from compliance_frames.models import JobStatus

from .doubles import BASE_URL, ScriptedTransport, answer, job_body


@pytest.fixture
def sleeps(mocker: MockerFixture) -> Any:
    return mocker.patch("compliance_frames.client.clock.sleep")


def scripted(*items: Any, **options: Any) -> tuple[Client, ScriptedTransport]:
    transport = ScriptedTransport().then(*items)
    options.setdefault("max_retries", 2)
    return Client(transport=transport, **options), transport


# -- the transport is the client's to be given -------------------------------------------


def test_a_client_given_a_transport_needs_no_token_and_uses_it(monkeypatch, sleeps) -> None:
    monkeypatch.delenv("BEARER_TOKEN", raising=False)
    client, transport = scripted(answer(200, {"data": job_body("7", status="complete")}))
    assert client.base_url == BASE_URL
    assert client.get_job("7").status is JobStatus.COMPLETE
    assert [(s.method, s.url) for s in transport.sent] == [
        ("GET", f"{BASE_URL}/2/compliance/jobs/7")
    ]
    client.close()
    assert transport.closed


def test_a_base_url_other_than_the_transports_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not the transport's"):
        Client(base_url="https://elsewhere.example", transport=ScriptedTransport())


# -- retries: one policy ------------------------------------------------------------------


def test_5xx_answers_are_retried_with_growing_backoff_then_returned(sleeps) -> None:
    client, transport = scripted([answer(503)] * 3, max_retries=2)
    with pytest.raises(ServerError):
        client.list_jobs("tweets")
    assert len(transport.sent) == 3
    delays = [call.args[0] for call in sleeps.call_args_list]
    assert len(delays) == 2
    assert delays[0] < delays[1]


def test_a_429_waits_for_its_retry_after(sleeps) -> None:
    client, _ = scripted(
        answer(429, {"title": "Too Many Requests"}, headers={"Retry-After": "7"}),
        answer(200, {"data": []}),
    )
    assert client.list_jobs("tweets") == []
    assert [call.args[0] for call in sleeps.call_args_list] == [7.0]


def test_a_usage_capped_429_is_not_retried(sleeps) -> None:
    body = {"title": "UsageCapExceeded", "type": "https://api.x.com/2/problems/usage-capped"}
    client, transport = scripted(answer(429, body))
    with pytest.raises(UsageCapError, match="usage cap"):
        client.list_jobs("tweets")
    assert len(transport.sent) == 1
    assert not sleeps.called


def test_dropped_connections_outlasting_the_retries_are_a_network_error(sleeps) -> None:
    client, _ = scripted([requests.ConnectionError("reset")] * 3, max_retries=2)
    with pytest.raises(NetworkError, match="after 3 attempts"):
        client.get_job("1")
    assert sleeps.call_count == 2


def test_a_lost_create_is_looked_for_not_sent_twice(sleeps) -> None:
    listed = job_body("5", name="n", created_at="2099-01-01T00:00:00.000Z")
    client, transport = scripted(
        answer(200, {"data": []}),  # the jobs waiting before: none
        answer(503),  # the create's answer is lost
        answer(200, {"data": [listed]}),  # ... but it made a job
    )
    job = client.create_job("tweets", name="n")
    assert job.id == "5"
    assert [s.method for s in transport.sent] == ["GET", "POST", "GET"]
    assert not sleeps.called


def test_a_create_lost_every_time_gives_up_after_the_retries(sleeps) -> None:
    nothing = answer(200, {"data": []})
    client, transport = scripted(
        nothing, *[item for _ in range(3) for item in (answer(502), answer(200, {"data": []}))]
    )
    with pytest.raises(NetworkError, match="Creating a tweets job kept failing"):
        client.create_job("tweets", name="n")
    assert [s.method for s in transport.sent].count("POST") == 3
    assert sleeps.call_count == 2
    del nothing


def test_the_retry_loop_gives_up_through_its_callback(sleeps) -> None:
    policy = RetryPolicy(max_retries=1, backoff=1.0)
    tries: list[int] = []

    def attempt(retries: int) -> str:
        tries.append(retries)
        raise Retry("answered 500", delay=3.0)

    with pytest.raises(Retry, match="answered 500"):
        policy.run(attempt, what="a test", give_up=Retry.reraise)
    assert tries == [0, 1]
    assert [call.args[0] for call in sleeps.call_args_list] == [3.0]


def test_the_retry_loop_waits_no_longer_than_it_is_told(sleeps) -> None:
    answers = iter([Retry("broke off", delay=30.0), "done"])

    def attempt(retries: int) -> str:
        item = next(answers)
        if isinstance(item, Retry):
            raise item
        return item

    result = RetryPolicy().run(attempt, what="a test", give_up=Retry.reraise, longest=lambda: 2.0)
    assert result == "done"
    assert [call.args[0] for call in sleeps.call_args_list] == [2.0]


def test_a_non_idempotent_request_answered_5xx_is_ambiguous(sleeps) -> None:
    with pytest.raises(AmbiguousRequest, match="answered 500"):
        RetryPolicy().call(lambda: answer(500), what="POST /x", idempotent=False)
    assert not sleeps.called


# -- what an error answer becomes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (403, AccessDeniedError)]
)
def test_auth_answers_become_their_errors_at_once(status: int, error: type, sleeps) -> None:
    client, transport = scripted(answer(status, {"title": "Unauthorized", "detail": "no"}))
    with pytest.raises(error):
        client.get_job("1")
    assert len(transport.sent) == 1
    assert not sleeps.called


# -- job fields ------------------------------------------------------------------------------


def test_an_answer_without_a_job_is_a_server_error(sleeps) -> None:
    client, _ = scripted(answer(200, {"nothing": True}))
    with pytest.raises(ServerError, match="without a job"):
        client.get_job("1")


def test_a_job_of_another_type_is_a_server_error(sleeps) -> None:
    client, _ = scripted(
        answer(200, {"data": []}), answer(200, {"data": job_body("3", type="users")})
    )
    with pytest.raises(ServerError, match="of another type"):
        client.create_job("tweets")


def test_a_transfer_url_downgraded_to_http_is_refused(sleeps) -> None:
    bad = job_body("4", upload_url="http://storage.example/u")
    client, _ = scripted(answer(200, {"data": bad}))
    with pytest.raises(ServerError, match="plain http"):
        client.get_job("4")


def test_a_listed_job_that_cannot_be_used_is_skipped(sleeps) -> None:
    client, _ = scripted(answer(200, {"data": [{"id": "x"}, job_body("2")]}))
    assert [job.id for job in client.list_jobs("tweets")] == ["2"]
