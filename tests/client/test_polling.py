"""Polling a long job: how many requests it costs and how late completion is noticed.

The emulator and the client share a manual clock, so six hours pass in a second.
The figures are printed (run with ``-s``) and quoted in the project notes.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

from compliance_frames import Client
from compliance_frames.client.polling import Forecast, PollSchedule, RateState
from compliance_frames.emulator import Emulator, ManualClock
from tests.client.conftest import START
from tests.conftest import EmulatorFactory

pytestmark = pytest.mark.flow("bytepath")  # (polling is the same in both generations)

SIX_HOURS = 6 * 3600


def run_long_job(
    make_emulator: EmulatorFactory,
    make_client,
    clock: ManualClock,
    seconds: float = SIX_HOURS,
    **poll: float,
) -> tuple[int, float, int, list[int]]:
    emulator = make_emulator(clock=clock, processing_seconds=seconds, rate_window=900)
    client: Client = make_client(emulator, **poll)
    job = client.create_job("tweets")
    client.upload_ids(job, [1265324480517361664])
    uploaded = clock.time()
    client.wait(job)
    lag = clock.time() - (uploaded + seconds)
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
    hour = 3600  # (four windows of 15 minutes: every one of them full)
    count, lag, busiest_window, statuses = run_long_job(
        make_emulator, make_client, virtual_clock, hour, poll_interval=1.0, max_poll_interval=1.0
    )
    assert set(statuses) == {200}  # never a 429
    assert busiest_window <= 76  # half the window (75) and the one request that finds it so
    assert count >= 4 * 70  # held to its share, not starved: it polled all along
    assert lag <= 0.05 * hour


def run_with_history(
    make_emulator: EmulatorFactory, make_client, clock: ManualClock, past: float, actual: float
) -> tuple[Client, Emulator, int, float]:
    """A job of ``actual`` seconds on an app whose history has one of ``past`` seconds
    for as many IDs: its status requests and how late its completion was seen."""
    emulator = make_emulator(clock=clock, processing_seconds=actual, rate_window=900)
    client: Client = make_client(emulator, poll_interval=5.0, max_poll_interval=120.0)
    client.history.record("tweets", "1", n_ids=3, seconds=past)
    job = client.create_job("tweets")
    client.upload_ids(job, [4, 5, 6])
    uploaded = clock.time()
    client.wait(job)
    count = sum(1 for e in emulator.request_log("api") if e.path.endswith(job.id))
    return client, emulator, count, clock.time() - (uploaded + actual)


def test_history_makes_a_long_job_cheaper(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    client, emulator, count, lag = run_with_history(
        make_emulator, make_client, virtual_clock, SIX_HOURS, SIX_HOURS
    )
    assert count <= 60  # today: 248
    assert 0 <= lag <= 0.05 * SIX_HOURS
    _, (ids, seen) = client.history.past("tweets")  # this job's duration kept
    assert ids == 3
    assert abs(seen - SIX_HOURS) < 0.01 * SIX_HOURS
    assert set(e.status for e in emulator.request_log("api")) == {200}
    cache = client.cache_dir
    for path in cache.rglob("*"):  # the history names the app by a digest, never the token
        if path.is_file():
            assert emulator.bearer_token.encode() not in path.read_bytes()
    assert len(list((cache / "history").glob("*-tweets.jsonl"))) == 1


def test_a_wrong_forecast_is_no_worse_than_today_after_it(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    _, _, count, lag = run_with_history(make_emulator, make_client, virtual_clock, 3600, SIX_HOURS)
    assert count <= 260  # today's schedule from the predicted hour on
    assert 0 <= lag <= 120  # today's longest interval
    _, _, count, lag = run_with_history(make_emulator, make_client, virtual_clock, SIX_HOURS, 3600)
    assert count <= 60
    assert 0 <= lag <= 0.5 * 3600  # early: within half its age


def test_the_first_check_comes_soon_after_the_upload(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock, mocker
) -> None:
    def settle(seconds: float) -> None:  # the emulator processes in a thread, in real time
        virtual_clock.advance(seconds)
        time.sleep(0.05)

    mocker.patch("compliance_frames.client.clock.sleep", side_effect=settle)
    emulator = make_emulator(clock=virtual_clock, processing_seconds=0.014)
    client: Client = make_client(emulator, poll_interval=5.0, max_poll_interval=120.0)
    started = virtual_clock.time()
    client.run_job([1, 2, 3], "tweets", progress=False)
    assert virtual_clock.time() - started <= 1.0  # was 5 s: poll_interval before any check


def test_the_reserve_slows_a_young_check_but_waits_out_only_an_empty_window() -> None:
    schedule = PollSchedule(poll_interval=5.0, max_poll_interval=120.0)
    into_reserve = RateState(limit=150, remaining=70, reset=900.0)
    young = schedule.delay(1.0, into_reserve, now=0.0, waited=0.5)
    assert 5.0 < young < 60.0  # slowed, not held for the 900 s to the reset
    assert schedule.delay(3600.0, into_reserve, now=0.0, waited=3000.0) == 901.0  # a long wait
    empty = RateState(limit=150, remaining=1, reset=900.0)
    assert schedule.delay(1.0, empty, now=0.0, waited=0.5) == 901.0


def test_dozens_of_small_checks_in_a_window_are_not_held_up(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock, mocker
) -> None:
    def settle(seconds: float) -> None:
        virtual_clock.advance(seconds)
        time.sleep(0.03)

    mocker.patch("compliance_frames.client.clock.sleep", side_effect=settle)
    emulator = make_emulator(clock=virtual_clock, processing_seconds=2.0, rate_window=900)
    client: Client = make_client(emulator, poll_interval=5.0, max_poll_interval=120.0)
    longest = 0.0
    for index in range(30):
        started = virtual_clock.time()
        client.run_job([10 * index + 1, 10 * index + 2], "tweets", progress=False)
        longest = max(longest, virtual_clock.time() - started)
        virtual_clock.advance(20)
    assert longest < 120  # today: up to the window's reset (276 s in bench_polling.py)
    assert 429 not in [e.status for e in emulator.request_log("api")]


def test_a_forecast_needs_alike_jobs() -> None:
    assert Forecast.from_history([], 100) is None
    assert Forecast.from_history([(10, 60.0)], 1000) is None  # 100x the IDs: nothing alike
    forecast = Forecast.from_history([(1000, 600.0), (1000, 900.0)], 1000)
    assert forecast is not None
    assert forecast.early < 750 < forecast.late
    assert Forecast.from_history([(1000, 0.2)], 1000) == Forecast(finish=1.0, spread=0.05)
