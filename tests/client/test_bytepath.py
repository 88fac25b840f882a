"""The 2026 service: the token rule for transfers, uploads under the size cap, cancel,
the refusal of resumable uploads, the job fields asked for, and conflicts explained."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest

from compliance_frames import (
    Client,
    ConflictError,
    IdSet,
    InvalidRequestError,
    JobStatus,
    UploadError,
    UploadTooLargeError,
    WaitTimeoutError,
)
from compliance_frames.cli.main import build_parser
from compliance_frames.cli.terms import cli_terms
from compliance_frames.client.downloads import download_file
from compliance_frames.client.transport import same_origin
from compliance_frames.client.uploads import upload_file
from compliance_frames.emulator import Emulator
from tests.client.conftest import transfer_log
from tests.conftest import EmulatorFactory

EVENTS = {"1265324480517361664": "deleted", "20": "suspended", "7": "protected"}


def creates(emulator: Emulator) -> int:
    return sum(1 for e in emulator.request_log("api") if e.method == "POST")


# -- the token rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "same"),
    [
        ("https://api.x.com/2/compliance/jobs/1/upload?token=t", "https://api.x.com", True),
        ("https://API.X.com:443/2/compliance/jobs/1/download", "https://api.x.com", True),
        ("http://127.0.0.1:8099/2/x", "http://127.0.0.1:8099", True),
        ("https://storage.googleapis.com/bucket/o", "https://api.x.com", False),
        ("http://api.x.com/2/compliance/jobs/1/upload", "https://api.x.com", False),  # scheme
        ("https://api.x.com:8443/2/compliance/jobs/1/upload", "https://api.x.com", False),
        ("https://api.x.com.evil.example/2/x", "https://api.x.com", False),
        ("http://localhost:8099/2/x", "http://127.0.0.1:8099", False),  # another host name
        ("https://api.x.com:99999/x", "https://api.x.com", False),  # a port that is no port
    ],
)
def test_same_origin_compares_scheme_host_and_port(url: str, base: str, same: bool) -> None:
    assert same_origin(url, base) is same


def test_the_token_goes_with_transfers_exactly_on_the_api_origin(
    make_emulator: EmulatorFactory, make_client, flow: str
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    result = client.run_job([1265324480517361664, 20, 5], "tweets", progress=False)
    assert sorted(r["id"] for r in result.records()) == ["1265324480517361664", "20"]
    seen = transfer_log(emulator)
    assert {e.method for e in seen} >= {"PUT", "GET"}
    expected = f"Bearer {emulator.bearer_token}" if flow == "bytepath" else None
    assert [e.authorization for e in seen] == [expected] * len(seen)
    assert {e.host for e in seen} == {"api" if flow == "bytepath" else "storage"}


def test_transfer_urls_on_another_origin_never_get_the_token(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, temporary
) -> None:
    """A job whose URLs point elsewhere (another port, another name for the same host):
    the requests go out without the token, and fail as transfers, not as auth errors."""
    ours = make_emulator(events=EVENTS)
    other = make_emulator(events=EVENTS, bearer_token="other-app-token")
    client: Client = make_client(ours)
    job = client.create_job("tweets", name="elsewhere")
    ids = temporary(IdSet.from_ids([20, 7]))
    port = ours.base_url.rsplit(":", 1)[1]
    elsewhere = [
        other.base_url + f"/2/compliance/jobs/{job.id}/upload?token=x",  # another port
        f"http://localhost:{port}/2/compliance/jobs/{job.id}/upload?token=x",  # another name
    ]
    for url in elsewhere:
        moved = dataclasses.replace(job, upload_url=url, download_url=url.replace("upload", "dl"))
        with pytest.raises(UploadError):
            upload_file(client.transport, moved, ids.path, policy=client.policy, progress=False)
        with pytest.raises(Exception, match="download"):
            download_file(
                client.transport, moved, tmp_path / "r.ndjson", policy=client.policy, progress=False
            )
    for emulator in (ours, other):
        stray = [e for e in emulator.request_log() if not e.path.endswith(("/jobs", job.id))]
        assert stray, "the transfers did reach the servers"
        assert all(e.authorization is None for e in stray)
    assert not (tmp_path / "r.ndjson").exists()


# -- the size cap ---------------------------------------------------------------------------


def test_ids_over_the_cap_run_as_several_jobs_joined_as_one(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS, max_upload_bytes=64)
    client: Client = make_client(emulator, max_upload_bytes=64)
    ids = [1265324480517361664, 20, 7, *range(100, 130)]  # 20 + 3 + 2 + 30 * 4 = 145 bytes
    result = client.run_job(ids, "tweets", progress=False)
    assert len(result.jobs) == 3
    assert [job.name[-6:] for job in result.jobs] == ["-p1of3", "-p2of3", "-p3of3"]
    assert all(job.status is JobStatus.COMPLETE for job in result.jobs)
    sizes = [e.content_length for e in transfer_log(emulator) if e.method == "PUT"]
    assert len(sizes) == 3
    assert max(sizes) <= 64
    assert sum(sizes) == 145
    assert sorted(r["id"] for r in result.records()) == ["1265324480517361664", "20", "7"]
    assert result.n_ids == len(ids)
    before = creates(emulator)
    again = client.run_job(list(reversed(ids)), "tweets", progress=False)  # re-attaches per part
    assert again.jobs == result.jobs
    assert creates(emulator) == before


@pytest.mark.flow("bytepath")  # the storage host of the older flow has no such limit
def test_a_413_teaches_the_client_a_smaller_cap(
    make_emulator: EmulatorFactory, make_client, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = make_emulator(events=EVENTS, max_upload_bytes=100)
    client: Client = make_client(emulator)  # believes in 128 MiB
    ids = [1265324480517361664, 20, 7, *range(1000, 1040)]  # 225 bytes
    with caplog.at_level(logging.WARNING, logger="compliance_frames"):
        result = client.run_job(ids, "tweets", progress=False)
    assert client.max_upload_bytes <= 100
    assert "too large" in caplog.text
    assert sorted(r["id"] for r in result.records()) == ["1265324480517361664", "20", "7"]
    refused = [job for job in emulator.jobs if job["status"] == "failed"]
    assert len(refused) == 1  # the job the 413 left behind was cancelled, freeing the type
    assert all(job["status"] == "complete" for job in emulator.jobs if job not in refused)


def test_upload_ids_refuses_a_file_over_the_cap_before_sending(
    emulator: Emulator, make_client
) -> None:
    client: Client = make_client(emulator, max_upload_bytes=30)
    job = client.create_job("tweets")
    with pytest.raises(UploadTooLargeError, match="over the 30 bytes") as caught:
        client.upload_ids(job, range(10_000, 10_010))  # 60 bytes
    assert caught.value.limit == 30
    assert not [e for e in transfer_log(emulator) if e.method == "PUT"]


def test_max_upload_bytes_is_checked(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="at least 20"):
        Client(emulator.bearer_token, emulator.base_url, max_upload_bytes=10)


# -- resumable, job fields ------------------------------------------------------------------


@pytest.mark.flow("bytepath")
def test_a_refused_resumable_job_is_created_without_it_with_one_warning(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    with pytest.warns(UserWarning, match="no resumable uploads") as warned:
        first = client.create_job("tweets", resumable=True)
    assert len(warned) == 1
    assert first.resumable is False
    client.cancel_job(first)
    result = client.run_job([20, 7], "tweets", resumable=True, progress=False)  # no new warning
    assert sorted(r["id"] for r in result.records()) == ["20", "7"]
    refused = [e for e in emulator.request_log("api") if e.method == "POST" and e.status == 400]
    assert len(refused) == 1  # asked once, remembered since


def test_every_job_call_asks_for_the_fields_it_relies_on(emulator: Emulator, make_client) -> None:
    client: Client = make_client(emulator)
    client.run_job([20], "users", name="named", progress=False)
    assert [job.name for job in client.list_jobs("users")] == ["named"]
    calls = [e for e in emulator.request_log("api") if not e.path.endswith(("upload", "download"))]
    assert calls
    for call in calls:
        fields = set(call.query.get("compliance_job.fields", "").split(","))
        assert {"name", "status", "upload_url", "download_url", "created_at"} <= fields


# -- cancel and conflicts -------------------------------------------------------------------


@pytest.mark.flow("bytepath")  # cancel is of the 2026 service
def test_cancel_fails_the_job_frees_its_type_and_a_rerun_starts_afresh(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    created = client.create_job("tweets", name="to-cancel")
    cancelled = client.cancel_job(created.id)
    assert cancelled.status is JobStatus.FAILED
    assert cancelled.id == created.id
    assert client.get_job(created).status is JobStatus.FAILED
    emulator.stall_next_job()
    running = client.create_job("tweets", name="to-cancel-too")  # the type is free again
    client.upload_ids(running, [20])
    assert client.cancel_job(running).status is JobStatus.FAILED
    with pytest.raises(InvalidRequestError, match="already finished \\(failed\\)"):
        client.cancel_job(running)
    done = client.run_job([7], "tweets", progress=False)
    assert done.job is not None
    with pytest.raises(InvalidRequestError, match="already finished \\(complete\\)"):
        client.cancel_job(done.job)
    # A run whose job was cancelled here starts a new one instead of raising JobFailedError.
    emulator.stall_next_job()
    with pytest.raises(WaitTimeoutError) as waited:
        client.run_job([1265324480517361664], "tweets", progress=False, timeout=0.3)
    stalled = waited.value.job
    assert stalled is not None
    client.cancel_job(stalled)
    rerun = client.run_job([1265324480517361664], "tweets", progress=False)
    assert rerun.job is not None
    assert rerun.job.id != stalled.id
    assert [r["reason"] for r in rerun.records()] == ["deleted"]


@pytest.mark.flow("bytepath")
def test_a_job_of_ones_own_left_waiting_for_other_ids_is_a_conflict_that_says_how_to_cancel(
    make_emulator: EmulatorFactory, make_client, virtual_clock: Any
) -> None:
    emulator = make_emulator(events=EVENTS, clock=virtual_clock)
    client: Client = make_client(emulator, max_retries=1)
    emulator.inject("upload", 503, times=2)  # both attempts (max_retries=1)
    with pytest.raises(UploadError):
        client.run_job([20, 7], "tweets", progress=False)  # created, never uploaded
    [left] = client.list_jobs("tweets", "created")
    virtual_clock.advance(400)  # long enough that nobody is uploading to it any more
    with pytest.raises(ConflictError) as caught:
        client.run_job([1265324480517361664], "tweets", progress=False)
    message = str(caught.value)
    assert caught.value.blocking_job is not None
    assert caught.value.blocking_job.id == left.id
    assert f"cancel_job('{left.id}')" in message
    on_the_command_line = caught.value.render(cli_terms(build_parser(), "all"))
    assert f"`compliance-frames cancel {left.id}`" in on_the_command_line
    client.cancel_job(left)
    result = client.run_job([1265324480517361664], "tweets", progress=False)
    assert [r["reason"] for r in result.records()] == ["deleted"]


@pytest.mark.parametrize("same_cache", [True, False])
def test_runs_of_one_type_at_once_wait_for_each_other(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, same_cache: bool
) -> None:
    """Four background runs of tweets jobs: one job of a type at a time, the others wait
    (a job just created, still waiting for its IDs, is waited for, not refused)."""
    emulator = make_emulator(events=EVENTS, processing_seconds=0.1)
    clients = [
        make_client(emulator, results_dir=tmp_path / ("cache" if same_cache else f"c{i}"))
        for i in range(4)
    ]
    handles = [c.submit([20, 7, 1000 + i], "tweets", progress=False) for i, c in enumerate(clients)]
    results = [handle.wait(timeout=120) for handle in handles]
    assert [sorted(r["id"] for r in result.records()) for result in results] == [["20", "7"]] * 4
    assert len({result.jobs[0].id for result in results}) == 4


@pytest.mark.flow("bytepath")  # the storage host of the older flow takes a re-sent upload
def test_an_upload_whose_answer_was_lost_is_not_taken_for_a_failure(
    make_emulator: EmulatorFactory, make_client, no_sleep: Any
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    emulator.inject("upload", "drop", processed=True)  # the IDs arrive, the answer does not
    result = client.run_job([20, 7], "tweets", progress=False)
    assert sorted(r["id"] for r in result.records()) == ["20", "7"]
    assert [e.status for e in transfer_log(emulator) if e.method == "PUT"] == [None, 409]


@pytest.mark.flow("bytepath")
def test_a_cancel_whose_answer_was_lost_is_a_cancel(
    make_emulator: EmulatorFactory, make_client, no_sleep: Any
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    job = client.create_job("tweets", name="lost-cancel")
    emulator.inject("cancel", "drop", processed=True)
    cancelled = client.cancel_job(job)
    assert cancelled.status is JobStatus.FAILED
    assert client.ledger.cancelled(job.id)


@pytest.mark.flow("gcs")
def test_cancel_on_the_older_service_says_it_is_not_offered(
    emulator: Emulator, make_client
) -> None:
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    with pytest.raises(InvalidRequestError, match="does not offer cancelling jobs"):
        client.cancel_job(job)
    assert client.get_job(job).status is JobStatus.CREATED


@pytest.mark.flow("bytepath")
def test_a_refused_transfer_token_is_a_transfer_error_not_a_plan_problem(
    make_emulator: EmulatorFactory, make_client, temporary: Any
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    ids = temporary(IdSet.from_ids([20]))
    swapped = dataclasses.replace(job, upload_url=job.download_url.replace("download", "upload"))
    with pytest.raises(UploadError, match="token in the upload URL was refused") as caught:
        upload_file(client.transport, swapped, ids.path, policy=client.policy, progress=False)
    assert caught.value.status == 403
    assert "paid" not in str(caught.value)


# -- statuses this version does not know ----------------------------------------------------


@pytest.mark.flow("bytepath")  # a stand-in server of its own: no emulator, one run
def test_a_status_this_version_does_not_know_is_waited_through(tmp_path: Path) -> None:
    """A stand-in API host that answers a status X may add one day ('paused'): the job
    is kept, not refused, and waited for like one in progress."""
    import json
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    statuses = iter(["paused", "paused", "complete"])
    job = {
        "id": "1446017776678801409",
        "type": "tweets",
        "created_at": "2026-10-01T00:00:00.000Z",
        "upload_url": "http://127.0.0.1:1/u",
        "upload_expires_at": "2026-10-01T00:15:00.000Z",
        "download_url": "http://127.0.0.1:1/d",
        "download_expires_at": "2099-10-08T00:00:00.000Z",
    }

    @Request.application
    def app(request: Request) -> Response:
        body = {"data": {**job, "status": next(statuses)}}
        return Response(json.dumps(body), content_type="application/json")

    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(
            "token",
            f"http://127.0.0.1:{server.server_port}",
            poll_interval=0.01,
            max_poll_interval=0.01,
            results_dir=tmp_path,
        )
        seen: list[str] = []
        done = client.wait(job["id"], observer=lambda j: seen.append(j.status.value))
        assert seen == ["paused", "complete"]  # the first answer went to get_job()
        assert done.status is JobStatus.COMPLETE
        paused = JobStatus("paused")
        assert paused.value == "paused"
        assert not paused.is_terminal
    finally:
        server.shutdown()


@pytest.mark.flow("bytepath")
def test_a_server_that_refuses_text_plain_gets_octet_stream(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator(events=EVENTS, upload_types=("application/octet-stream",))
    client: Client = make_client(emulator)
    result = client.run_job([20, 7], "tweets", progress=False)
    assert sorted(r["id"] for r in result.records()) == ["20", "7"]
    puts = [(e.status, e.content_type) for e in transfer_log(emulator) if e.method == "PUT"]
    assert puts == [(415, "text/plain"), (200, "application/octet-stream")]
