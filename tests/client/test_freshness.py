"""max_age: an earlier job's answer is used again only while it is fresh enough."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from compliance_frames import Client, ConfigurationError, InputError
from compliance_frames.client import IdSet
from compliance_frames.emulator import Emulator, ManualClock
from compliance_frames.frames import check
from tests.client.conftest import transfer_log
from tests.conftest import EmulatorFactory

IDS = [1265324480517361664, 906972198136631298, 20, 5]
EVENTS = {"1265324480517361664": "deleted", "20": "suspended"}
DAY = 24 * 3600


def creates(emulator: Emulator) -> int:
    return sum(1 for e in emulator.request_log("api") if e.method == "POST")


def downloads(emulator: Emulator) -> int:
    return len(transfer_log(emulator, "GET"))


def test_a_job_older_than_max_age_is_not_reused(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(events=EVENTS, clock=virtual_clock, processing_seconds=60)
    client: Client = make_client(emulator)
    first = client.run_job(IDS, "tweets", progress=False)
    assert first.job is not None
    assert first.created_at == first.job.created_at
    virtual_clock.advance(3600)
    assert client.run_job(IDS, "tweets", progress=False).jobs == first.jobs  # an hour: fresh
    assert (creates(emulator), downloads(emulator)) == (1, 1)
    virtual_clock.advance(DAY)  # the default max_age, 24 hours, has passed
    second = client.run_job(IDS, "tweets", progress=False)
    assert second.job is not None
    assert second.job.id != first.job.id
    assert second.job.name == first.job.name  # the same name: the next run finds the newest
    assert second.created_at is not None
    assert first.created_at is not None
    assert (second.created_at - first.created_at).total_seconds() >= DAY
    assert (creates(emulator), downloads(emulator)) == (2, 2)
    assert client.results_path(first.job).exists()  # the older answer stays in the cache
    third = client.run_job(IDS, "tweets", progress=False)
    assert third.jobs == second.jobs
    assert creates(emulator) == 2
    assert sorted((r["id"], r["reason"]) for r in third.records()) == [
        ("1265324480517361664", "deleted"),
        ("20", "suspended"),
    ]


def test_max_age_none_reuses_an_answer_of_any_age(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock, processing_seconds=60)
    client: Client = make_client(emulator, max_age=None)
    first = client.run_job(IDS, "tweets", progress=False)
    virtual_clock.advance(30 * DAY)
    assert client.run_job(IDS, "tweets", progress=False).jobs == first.jobs
    strict: Client = make_client(emulator)  # the default is overridden per run, either way
    assert strict.run_job(IDS, "tweets", progress=False, max_age=None).jobs == first.jobs
    assert creates(emulator) == 1


def test_a_client_default_is_overridden_per_run(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock, processing_seconds=60)
    client: Client = make_client(emulator, max_age=timedelta(hours=6))
    assert client.max_age == 6 * 3600
    first = client.run_job(IDS, "tweets", progress=False)
    virtual_clock.advance(7 * 3600)
    assert client.run_job(IDS, "tweets", progress=False, max_age=8 * 3600).jobs == first.jobs
    assert creates(emulator) == 1
    assert client.run_job(IDS, "tweets", progress=False).jobs != first.jobs  # 6 hours: too old
    assert creates(emulator) == 2


def test_max_age_zero_forces_a_new_job(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator(processing_seconds=0)
    client: Client = make_client(emulator)
    first = client.run_job(IDS, "tweets", progress=False)
    second = client.run_job(IDS, "tweets", progress=False, max_age=0)
    assert second.jobs != first.jobs
    assert creates(emulator) == 2
    assert client.run_job(IDS, "tweets", progress=False).jobs == second.jobs  # the newest
    assert creates(emulator) == 2


def test_a_split_result_is_as_old_as_its_oldest_job(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock, processing_seconds=600)
    client: Client = make_client(emulator, poll_interval=5, max_poll_interval=120)
    result = client.run_job(IDS, "tweets", progress=False, max_ids_per_job=2)
    assert len(result.jobs) == 2
    assert result.jobs[1].created_at > result.jobs[0].created_at
    assert result.created_at == result.jobs[0].created_at


def test_results_covered_by_an_alias_are_not_used_once_too_old(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    import numpy as np

    emulator = make_emulator(clock=virtual_clock, processing_seconds=60)
    client: Client = make_client(emulator)
    ids = IdSet.from_ids(IDS)
    result = client.run_job(ids, "tweets", progress=False)
    client.cover_refused(ids, result, np.array([5], dtype=np.uint64))  # as if X refused 5
    assert client.run_job(IDS[:3], "tweets", progress=False).jobs == result.jobs
    virtual_clock.advance(DAY + 1)
    assert client.run_job(IDS[:3], "tweets", progress=False).jobs != result.jobs
    assert creates(emulator) == 2
    ids.discard()


@pytest.mark.parametrize("bad", [-1, float("nan"), "6h", True, [3600]])
def test_a_bad_max_age_says_what_to_pass(
    make_emulator: EmulatorFactory, make_client, bad: object
) -> None:
    emulator = make_emulator(processing_seconds=0)
    with pytest.raises(ConfigurationError, match="max_age") as caught:
        make_client(emulator, max_age=bad)
    assert "max_age=21600" in str(caught.value)  # the hint, in Python's terms
    client: Client = make_client(emulator)
    with pytest.raises(InputError, match="max_age"):
        client.run_job(IDS, "tweets", progress=False, max_age=bad)
    with pytest.raises(InputError, match="max_age"):
        client.submit(IDS, "tweets", progress=False, max_age=bad)  # at once, not at .wait()
    assert creates(emulator) == 0


def test_check_passes_max_age_on_to_the_client(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator(events=EVENTS, processing_seconds=0)
    client: Client = make_client(emulator)
    frame = pl.DataFrame({"id": [str(i) for i in IDS]})
    check(frame, "id", client=client, progress=False)
    check(frame, "id", client=client, progress=False)
    assert creates(emulator) == 1
    flagged = check(frame, "id", client=client, progress=False, max_age=0)
    assert creates(emulator) == 2
    assert flagged["compliance_deleted"].to_list() == [True, False, False, False]
