"""run_job: idempotent re-attachment, new jobs when needed, failures, splits, submit()."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest

from compliance_frames import (
    Client,
    ConflictError,
    IdSet,
    InvalidIDError,
    JobExpiredError,
    JobFailedError,
    JobHandle,
    JobStatus,
    WaitTimeoutError,
)
from compliance_frames.emulator import Emulator, ManualClock
from tests.client.conftest import transfer_log
from tests.conftest import EmulatorFactory

IDS = [1265324480517361664, 906972198136631298, 20, 5]
EVENTS = {"1265324480517361664": "deleted", "20": "suspended"}


def creates(emulator: Emulator) -> int:
    return sum(1 for e in emulator.request_log("api") if e.method == "POST")


def downloads(emulator: Emulator) -> int:
    return len(transfer_log(emulator, "GET"))


def reasons(result: Any) -> list[tuple[str, str]]:
    return sorted((r["id"], r["reason"]) for r in result.records())


def test_the_job_is_named_after_its_ids_and_found_again(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    first = client.run_job(IDS, "tweets", progress=False)
    ids = IdSet.from_ids(IDS)
    assert first.job is not None
    assert first.job.name == ids.job_name("tweets")
    assert first.n_ids == 4
    assert reasons(first) == [("1265324480517361664", "deleted"), ("20", "suspended")]
    again = client.run_job([*reversed(IDS), 20], "tweets", progress=False)
    assert again.jobs == first.jobs
    assert (creates(emulator), downloads(emulator)) == (1, 1)  # the results on disk were reused
    client.results_path(first.jobs[0]).unlink()
    client.run_job(IDS, "tweets", progress=False)
    assert (creates(emulator), downloads(emulator)) == (1, 2)  # downloaded again, not re-run
    ids.discard()


def test_rerun_after_an_interrupted_wait_reattaches(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(
        events=EVENTS, clock=virtual_clock, processing_seconds=3 * 3600, rate_window=900
    )
    client: Client = make_client(emulator, poll_interval=5, max_poll_interval=120)
    with pytest.raises(WaitTimeoutError, match="run the same IDs again") as caught:
        client.run_job(IDS, "tweets", progress=False, timeout=600)
    assert caught.value.job is not None
    assert caught.value.job.status is JobStatus.IN_PROGRESS
    restarted: Client = make_client(emulator, poll_interval=5, max_poll_interval=120)  # new kernel
    result = restarted.run_job(IDS, "tweets", progress=False)
    assert result.jobs[0].id == caught.value.job.id
    assert reasons(result) == [("1265324480517361664", "deleted"), ("20", "suspended")]
    assert creates(emulator) == 1
    assert len(transfer_log(emulator, "PUT")) == 1


def test_a_created_job_from_a_crashed_run_gets_the_upload(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    ids = IdSet.from_ids(IDS)
    crashed = client.create_job("tweets", name=ids.job_name("tweets"))  # created, never uploaded
    result = client.run_job(IDS, "tweets", progress=False)
    assert result.jobs[0].id == crashed.id
    assert creates(emulator) == 1
    ids.discard()


def test_an_expired_upload_window_means_a_new_job(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(events=EVENTS, clock=virtual_clock)
    client: Client = make_client(emulator)
    ids = IdSet.from_ids(IDS)
    stale = client.create_job("tweets", name=ids.job_name("tweets"))
    virtual_clock.advance(901)
    result = client.run_job(IDS, "tweets", progress=False)
    assert result.jobs[0].id != stale.id
    assert [j["status"] for j in emulator.jobs] == ["complete", "expired"]
    ids.discard()


def test_an_expired_download_window_means_a_new_job(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(events=EVENTS, clock=virtual_clock)
    client: Client = make_client(emulator)
    first = client.run_job(IDS, "tweets", progress=False)
    expected = reasons(first)
    client.results_path(first.jobs[0]).unlink()
    virtual_clock.advance(8 * 24 * 3600)
    second = client.run_job(IDS, "tweets", progress=False)
    assert second.jobs[0].id != first.jobs[0].id
    assert reasons(second) == expected


def test_a_failed_job_raises_until_retry_failed(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    emulator.fail_next_job("Upload could not be parsed.")
    with pytest.raises(
        JobFailedError, match=r"Upload could not be parsed.*retry_failed=True"
    ) as caught:
        client.run_job(IDS, "tweets", progress=False)
    assert caught.value.error == "Upload could not be parsed."
    assert caught.value.job is not None
    with pytest.raises(JobFailedError):
        client.run_job(IDS, "tweets", progress=False)  # no endless loop, no new job
    assert creates(emulator) == 1
    result = client.run_job(IDS, "tweets", progress=False, retry_failed=True)
    assert reasons(result) == [("1265324480517361664", "deleted"), ("20", "suspended")]
    assert creates(emulator) == 2


def test_waiting_on_a_job_never_uploaded_ends_expired(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock)
    client: Client = make_client(emulator, poll_interval=5, max_poll_interval=60)
    job = client.create_job("users")
    with pytest.raises(JobExpiredError, match="no IDs reached it") as caught:
        client.wait(job)
    assert caught.value.job is not None
    assert caught.value.job.status is JobStatus.EXPIRED


def test_wait_times_out_and_says_the_job_goes_on(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock, processing_seconds=1000)
    client: Client = make_client(emulator, poll_interval=5, max_poll_interval=60)
    job = client.create_job("tweets")
    client.upload_ids(job, [1])
    started = virtual_clock.time()
    with pytest.raises(WaitTimeoutError, match="goes on at X") as caught:
        client.wait(job, timeout=100)
    assert virtual_clock.time() - started == pytest.approx(100, abs=1)
    assert caught.value.waited == pytest.approx(100, abs=1)


def test_conflict_with_another_compliance_frames_job_waits_for_it(
    make_emulator: EmulatorFactory, make_client, temporary
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    emulator.stall_next_job()
    other = client.create_job("tweets", name=temporary(IdSet.from_ids([7])).job_name("tweets"))
    client.upload_ids(other, [7])
    handle = client.submit(IDS, "tweets", progress=False)
    time.sleep(0.3)
    assert not handle.done()
    emulator.release_job(other.id)
    result = handle.wait(timeout=30)
    assert reasons(result) == [("1265324480517361664", "deleted"), ("20", "suspended")]
    assert creates(emulator) == 3  # the other job, a refused attempt, ours


def test_conflict_with_someone_elses_job_is_raised(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    emulator.stall_next_job()
    foreign = client.create_job("tweets", name="twarc-job")
    client.upload_ids(foreign, [7])
    with pytest.raises(ConflictError, match="twarc-job") as caught:
        client.run_job(IDS, "tweets", progress=False)
    assert caught.value.blocking_job is not None
    assert caught.value.blocking_job.id == foreign.id
    assert client.run_job(IDS, "users", progress=False).n_ids == 4  # the other type is free


def test_a_conflict_whose_job_has_ended_by_the_look_is_tried_again(
    make_emulator: EmulatorFactory, make_client, no_sleep: Any
) -> None:
    """X answers 409, but the job in the way has ended by the time the client looks for it
    (a race): the create is tried again after a pause, a bounded number of times."""
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    emulator.inject("create", "conflict", times=3)
    result = client.run_job(IDS, "tweets", progress=False)
    assert sorted(record["id"] for record in result.records()) == sorted(EVENTS)
    assert creates(emulator) == 4  # three refused, then ours
    assert no_sleep.call_count >= 3  # a pause before each try

    emulator.inject("create", "conflict", times=5)
    with pytest.raises(ConflictError) as caught:
        client.run_job(IDS, "users", progress=False)
    assert caught.value.blocking_job is None
    message = str(caught.value)
    assert "Cannot create a users job: another job is in progress" in message
    assert "Wait for it to finish, then try again." in message
    assert creates(emulator) == 4 + 4  # tried four times, then said so
    emulator.state.faults.clear()
    assert client.run_job(IDS, "users", progress=False).n_ids == len(IDS)


def test_max_ids_per_job_splits_and_merges(make_emulator: EmulatorFactory, make_client) -> None:
    events = {str(i): "deleted" for i in range(1, 2501, 100)}
    emulator = make_emulator(events=events)
    client: Client = make_client(emulator)
    result = client.run_job(range(1, 2501), "users", progress=False, max_ids_per_job=1000)
    assert [j.name.rsplit("-", 1)[1] for j in result.jobs if j.name] == ["p1of3", "p2of3", "p3of3"]
    assert [emulator.job(j.id)["n_ids"] for j in result.jobs] == [1000, 1000, 500]
    assert sorted(int(r["id"]) for r in result.records()) == list(range(1, 2501, 100))
    assert result.n_ids == 2500
    again = client.run_job(range(2500, 0, -1), "users", progress=False, max_ids_per_job=1000)
    assert again.jobs == result.jobs
    assert creates(emulator) == 3


def test_a_name_of_ones_own_is_found_again_only_for_the_same_ids(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    first = client.run_job(IDS, "tweets", name="test", progress=False)
    again = client.run_job(list(reversed(IDS)), "tweets", name="test", progress=False)
    assert again.jobs == first.jobs
    other = client.run_job([5, 6], "tweets", name="test", progress=False)  # a different dataset
    assert other.jobs[0].id != first.jobs[0].id
    assert list(other.records()) == []  # not the first dataset's results
    elsewhere: Client = make_client(emulator, results_dir=client.cache_dir / "other")
    fresh = elsewhere.run_job(IDS, "tweets", name="test", progress=False)  # no record here
    assert fresh.jobs[0].id not in (first.jobs[0].id, other.jobs[0].id)
    assert creates(emulator) == 3


def test_a_given_name_is_used(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    result = client.run_job(IDS, "tweets", name="my-dataset", progress=False)
    assert result.jobs[0].name == "my-dataset"
    split = client.run_job(range(1, 30), "users", name="n" * 64, progress=False, max_ids_per_job=10)
    assert [len(j.name or "") for j in split.jobs] == [64, 64, 64]


def test_no_ids_no_job(emulator: Emulator, client: Client) -> None:
    result = client.run_job([], "tweets", progress=False)
    assert (result.n_ids, result.jobs, list(result.records())) == (0, (), [])
    assert emulator.jobs == []


def test_records_skip_blank_lines_and_crlf(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator(events=EVENTS, blank_lines=True, crlf=True)
    client: Client = make_client(emulator)
    assert reasons(client.run_job(IDS, "tweets", progress=False)) == [
        ("1265324480517361664", "deleted"),
        ("20", "suspended"),
    ]


def test_submit_returns_a_handle_at_once(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator(events=EVENTS, processing_seconds=0.5)
    client: Client = make_client(emulator)
    handle = client.submit(IDS, "tweets", progress=False)
    assert isinstance(handle, JobHandle)
    with pytest.raises(Exception, match="still running"):
        handle.result()
    deadline = time.monotonic() + 10
    while handle.job is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handle.job is not None
    assert handle.status() in (JobStatus.CREATED, JobStatus.IN_PROGRESS, JobStatus.COMPLETE)
    result = handle.wait(timeout=30)
    assert handle.done()
    assert handle.result() is result
    assert reasons(result) == [("1265324480517361664", "deleted"), ("20", "suspended")]
    assert "JobHandle(done" in repr(handle)


def test_a_handle_can_be_awaited(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)

    async def both() -> list[Any]:
        tweets = client.submit(IDS, "tweets", progress=False)
        users = client.submit([12, 20], "users", progress=False)
        return list(await asyncio.gather(tweets, users))

    tweets, users = asyncio.run(both())
    assert reasons(tweets) == [("1265324480517361664", "deleted"), ("20", "suspended")]
    assert reasons(users) == [("20", "suspended")]


def test_a_handle_wait_can_time_out(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    emulator.stall_next_job()
    handle = client.submit(IDS, "tweets", progress=False)
    with pytest.raises(WaitTimeoutError, match="goes on in the background"):
        handle.wait(timeout=0.5)
    assert handle.job is not None
    emulator.release_job(handle.job.id)
    assert handle.wait(timeout=30).n_ids == 4


def test_a_script_exits_at_once_with_a_job_still_running(tmp_path) -> None:
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "from compliance_frames import Client\n"
        "from compliance_frames.emulator import Emulator\n"
        "emulator = Emulator(processing_seconds=3600).start()\n"
        "client = Client(emulator.bearer_token, emulator.base_url,"
        f" results_dir={str(tmp_path)!r})\n"
        "handle = client.submit([1, 2, 3], 'tweets', progress=False)\n"
        "import time; time.sleep(1)\n"
        "print('submitted', handle.job is not None)\n"
    )
    started = time.monotonic()
    command = [sys.executable, str(script)]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    environment = {**os.environ, "TMPDIR": str(scratch)}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, env=environment
    )
    assert result.returncode == 0, result.stderr
    assert "submitted True" in result.stdout
    assert time.monotonic() - started < 30  # not held until the hour-long job ends
    # Neither the IDs file of the unfinished job nor the emulator's folder is left behind.
    assert list(scratch.iterdir()) == []


def test_submit_reports_mistakes_at_once(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    with pytest.raises(TypeError, match="progres"):
        client.submit(IDS, "tweets", progres=False)
    with pytest.raises(InvalidIDError, match="'abc'"):
        client.submit([1, "abc"], "tweets", progress=False)
    assert emulator.request_log("api") == []


def test_progress_shows_each_step_and_progress_false_shows_nothing(
    make_emulator: EmulatorFactory, make_client, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = make_emulator(events=EVENTS, processing_seconds=0.3)
    client: Client = make_client(emulator)
    client.run_job(IDS, "tweets", progress=False)
    quiet = capsys.readouterr()
    assert (quiet.out, quiet.err) == ("", "")
    client.run_job(IDS[:2], "users", progress=True)
    shown = capsys.readouterr().err
    assert "Uploading" in shown
    assert "Waiting for cf-users-2-" in shown
    assert "next check in" in shown
    assert "Downloading" in shown
