"""Per-endpoint rate windows and the x-rate-limit-* headers."""

from __future__ import annotations

import requests

from compliance_frames.emulator import ManualClock
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import jobs_url, validating_session

TOO_MANY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}


def test_default_window_is_150_per_15_minutes(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock)
    answer = validating_session(emulator).get(jobs_url(emulator), params={"type": "tweets"})
    assert answer.headers["x-rate-limit-limit"] == "150"
    assert answer.headers["x-rate-limit-remaining"] == "149"
    assert answer.headers["x-rate-limit-reset"] == str(1_700_000_000 + 900)


def test_each_endpoint_has_its_own_window_and_429_after_the_limit(
    make_emulator: EmulatorFactory,
) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, rate_limit=3)
    api = validating_session(emulator)
    answers = [api.get(jobs_url(emulator), params={"type": "tweets"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[-1].json() == TOO_MANY
    # get-by-id and create have windows of their own
    assert api.get(jobs_url(emulator, "1")).status_code == 200
    assert api.post(jobs_url(emulator), json={"type": "tweets"}).status_code == 200
    # the window resets at x-rate-limit-reset
    clock.advance(899)
    assert api.get(jobs_url(emulator), params={"type": "tweets"}).status_code == 429
    clock.advance(1)
    again = api.get(jobs_url(emulator), params={"type": "tweets"})
    assert again.status_code == 200
    assert again.headers["x-rate-limit-remaining"] == "2"
    assert again.headers["x-rate-limit-reset"] == str(1_700_000_000 + 900 + 900)


def test_rate_headers_on_every_answer(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(rate_limit=1)
    api = validating_session(emulator)
    answers = [
        api.post(jobs_url(emulator), json={"type": "videos"}),  # 400
        api.post(jobs_url(emulator), json={"type": "tweets"}),  # 429
        requests.get(jobs_url(emulator), params={"type": "tweets"}),  # 401
        api.get(jobs_url(emulator, "7")),  # 200 with errors
    ]
    assert [a.status_code for a in answers] == [400, 429, 401, 200]
    for answer in answers:
        assert int(answer.headers["x-rate-limit-limit"]) == 1
        assert int(answer.headers["x-rate-limit-remaining"]) >= 0
        assert int(answer.headers["x-rate-limit-reset"]) > 1_600_000_000
