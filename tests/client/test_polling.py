"""Polling a long job: how many requests it costs and how late completion is noticed.

The emulator and the client share a manual clock, so six hours pass in a second.
The figures are printed (run with ``-s``) and quoted in the project notes.
"""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from compliance_frames import Client
from compliance_frames.emulator import ManualClock
from tests.client.conftest import START
from tests.conftest import EmulatorFactory

SIX_HOURS = 6 * 3600


def run_long_job(
    make_emulator: EmulatorFactory, make_client, clock: ManualClock, **poll: float
) -> tuple[int, float, int, list[int]]:
    emulator = make_emulator(clock=clock, processing_seconds=SIX_HOURS, rate_window=900)
    client: Client = make_client(emulator, **poll)
    job = client.create_job("tweets")
    client.upload_ids(job, [1265324480517361664])
    uploaded = clock.time()
    client.wait(job)
    lag = clock.time() - (uploaded + SIX_HOURS)
    gets = [e for e in emulator.request_log("api") if e.path.endswith(job.id)]
    per_window = Counter(int((e.at - START) // 900) for e in gets)
    statuses = [e.status for e in emulator.request_log("api")]
    return len(gets), lag, max(per_window.values()), statuses


@pytest.mark.parametrize(
    ("poll", "max_requests", "max_lag"),
    [
        ({"poll_interval": 5.0, "max_poll_interval": 120.0}, 260, 120.0),  # the defaults
        ({"poll_interval": 5.0, "max_poll_interval": 900.0}, 140, 900.0),
    ],
    ids=["defaults", "max-poll-900"],
)
def test_a_six_hour_job(
    make_emulator: EmulatorFactory,
    make_client,
    virtual_clock: ManualClock,
    poll: dict[str, float],
    max_requests: int,
    max_lag: float,
) -> None:
    count, lag, busiest_window, statuses = run_long_job(
        make_emulator, make_client, virtual_clock, **poll
    )
    print(
        f"\n6-hour job, {poll}: {count} status requests, completion noticed {lag:.0f} s late "
        f"({lag / SIX_HOURS:.2%} of the duration), "
        f"busiest 15-minute window {busiest_window} requests"
    )
    assert 0 <= lag <= max_lag
    assert lag / SIX_HOURS <= 0.05
    assert count <= max_requests
    assert busiest_window <= 75  # at most half of the 150-request window
    assert set(statuses) == {200}  # never a 429


def test_polling_shares_a_window_another_program_is_using(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock, processing_seconds=3600, rate_window=900)
    client: Client = make_client(emulator, poll_interval=5.0, max_poll_interval=120.0)
    job = client.create_job("tweets")
    client.upload_ids(job, [1])
    for _ in range(140):  # another script spends most of the get-by-id window
        requests.get(
            f"{emulator.base_url}/2/compliance/jobs/{job.id}",
            headers={"Authorization": f"Bearer {emulator.bearer_token}"},
        )
    client.wait(job)
    assert 429 not in [e.status for e in emulator.request_log("api")]


def test_an_eager_poller_is_held_to_its_share_of_the_window(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    _, lag, busiest_window, statuses = run_long_job(
        make_emulator, make_client, virtual_clock, poll_interval=1.0, max_poll_interval=1.0
    )
    assert set(statuses) == {200}  # never a 429
    assert busiest_window <= 76  # half the window (75) and the one request that finds it so
    assert lag <= 0.05 * SIX_HOURS
