"""Authentication and access: 401, and the two kinds of 403."""

from __future__ import annotations

import pytest
import requests

from compliance_frames.emulator import Emulator
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import jobs_url, validating_session

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


@pytest.mark.parametrize("token", [None, "not-the-token"])
@pytest.mark.parametrize(("method", "path"), [("POST", ""), ("GET", ""), ("GET", "/1")])
def test_missing_or_wrong_token_is_401(
    emulator: Emulator, token: str | None, method: str, path: str
) -> None:
    assert_401(emulator, token, method, path)


@pytest.mark.flow("bytepath")  # the gcs flow has no DELETE: 405 whatever the token
@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_cancel_without_the_token_is_401(emulator: Emulator, token: str | None) -> None:
    assert_401(emulator, token, "DELETE", "/1")


def assert_401(emulator: Emulator, token: str | None, method: str, path: str) -> None:
    session = validating_session(emulator, token)
    answer = session.request(
        method, jobs_url(emulator) + path, params={"type": "tweets"}, json={"type": "tweets"}
    )
    assert answer.status_code == 401
    assert answer.json() == UNAUTHORIZED
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
        answer.headers
    )
    assert emulator.jobs == []


def test_user_context_token_is_403_unsupported_authentication(emulator: Emulator) -> None:
    answer = validating_session(emulator, emulator.user_token).post(
        jobs_url(emulator), json={"type": "tweets"}
    )
    assert answer.status_code == 403
    body = answer.json()
    assert body["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
    assert "Application-Only" in body["detail"]


def test_app_without_batch_compliance_is_403_client_forbidden(
    make_emulator: EmulatorFactory,
) -> None:
    emulator = make_emulator(enrolled=False)
    answer = validating_session(emulator).get(jobs_url(emulator), params={"type": "tweets"})
    assert answer.status_code == 403
    body = answer.json()
    assert body["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert body["reason"] == "client-not-enrolled"
    assert body["registration_url"].startswith("https://")


def test_token_never_appears_in_the_emulators_repr(emulator: Emulator) -> None:
    assert emulator.bearer_token not in repr(emulator)
    requests.get(jobs_url(emulator), headers={"Authorization": f"Bearer {emulator.bearer_token}"})
    assert all(emulator.bearer_token not in repr(entry) for entry in emulator.request_log())
