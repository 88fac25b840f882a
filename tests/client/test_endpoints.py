"""Every endpoint against the emulator, both job types, plain and resumable uploads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import requests

from compliance_frames import (
    Client,
    DownloadError,
    JobNotFoundError,
    JobStatus,
    JobType,
    UploadError,
    UploadURLExpiredError,
)
from compliance_frames.emulator import Emulator, ManualClock
from compliance_frames.idlines import format_ids
from tests.client.conftest import transfer_auth, transfer_log
from tests.conftest import EmulatorFactory


@pytest.mark.parametrize("job_type", ["tweets", "users"])
@pytest.mark.parametrize("resumable", [False, True])
def test_create_upload_wait_download(
    make_emulator: EmulatorFactory,
    make_client,
    tmp_path: Path,
    job_type: str,
    resumable: bool,
    flow: str,
) -> None:
    emulator = make_emulator(events={"1265324480517361664": "deleted", "20": "protected"})
    client: Client = make_client(emulator)
    if resumable and flow == "bytepath":  # X's 2026 service has none: created without it
        with pytest.warns(UserWarning, match="no resumable uploads"):
            job = client.create_job(job_type, name="a-job", resumable=resumable)
        resumable = False
    else:
        job = client.create_job(job_type, name="a-job", resumable=resumable)
    assert (job.type, job.status, job.name, job.resumable) == (
        JobType(job_type),
        JobStatus.CREATED,
        "a-job",
        resumable,
    )
    assert client.upload_ids(job, ["20", 1265324480517361664, 7, 20]) == 3
    done = client.wait(job)
    assert done.status is JobStatus.COMPLETE
    path = client.download_results(done, tmp_path / "out" / "results.ndjson")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted((r["id"], r["reason"]) for r in records) == [
        ("1265324480517361664", "deleted"),
        ("20", "protected"),
    ]
    assert emulator.job(job.id)["n_ids"] == 3
    assert not list(path.parent.glob("*.part"))


@pytest.mark.flow("gcs")  # the storage host's resumable protocol
def test_large_resumable_upload_goes_in_chunks(make_emulator: EmulatorFactory, make_client) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    job = client.create_job("tweets", resumable=True)
    ids = np.arange(10**18, 10**18 + 1_000_000, dtype=np.uint64)  # 20 MB: 3 chunks of 8 MiB
    assert client.upload_ids(job, ids) == 1_000_000
    puts = [e for e in emulator.request_log("storage") if e.method == "PUT"]
    assert [e.status for e in puts] == [308, 308, 200]
    client.wait(job)
    assert emulator.job(job.id)["n_ids"] == 1_000_000


def test_upload_from_a_path_and_a_binary_file(
    emulator: Emulator, client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes(format_ids(np.arange(1, 1001, dtype=np.uint64)))
    first = client.create_job("tweets")
    assert client.upload_ids(first, path) == 1000
    client.wait(first)
    second = client.create_job("tweets")
    with open(path, "rb") as stream:
        assert client.upload_ids(second.id, stream) == 1000
    client.wait(second)
    assert emulator.results(first.id) == emulator.results(second.id)


def test_get_list_and_find(emulator: Emulator, client: Client) -> None:
    tweets = client.create_job("tweets", name="same")
    users = client.create_job(JobType.USERS, name="same")
    client.upload_ids(tweets, [2])
    tweets = client.wait(tweets)  # one active job per type: done before the next
    other = client.create_job("tweets", name="other")
    assert client.get_job(tweets.id) == tweets
    assert client.get_job(tweets) == tweets
    assert [j.id for j in client.list_jobs()] == [other.id, users.id, tweets.id]
    assert [j.id for j in client.list_jobs("tweets")] == [other.id, tweets.id]
    assert [j.id for j in client.find_jobs("same")] == [users.id, tweets.id]
    assert [j.id for j in client.find_jobs("same", type="users")] == [users.id]
    assert client.find_jobs("nope") == []
    client.upload_ids(other, [1])
    client.wait(other)
    assert [j.id for j in client.list_jobs(status="complete")] == [other.id, tweets.id]
    assert [j.id for j in client.list_jobs("users", JobStatus.CREATED)] == [users.id]
    assert client.list_jobs("tweets", JobStatus.CREATED) == []


def test_list_expired_is_filtered_by_the_client(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock)
    client: Client = make_client(emulator)
    old = client.create_job("users")
    virtual_clock.advance(901)
    fresh = client.create_job("users")
    assert [j.id for j in client.list_jobs(status="expired")] == [old.id]
    assert [j.id for j in client.list_jobs(status="created")] == [fresh.id]
    queries = [e.query for e in emulator.request_log("api") if e.method == "GET"]
    assert all(q.get("status") != "expired" for q in queries)


def test_unknown_and_malformed_ids(client: Client) -> None:
    with pytest.raises(
        JobNotFoundError, match="No compliance job with id 1446017776678801409"
    ) as caught:
        client.get_job("1446017776678801409")
    assert caught.value.job_id == "1446017776678801409"
    with pytest.raises(JobNotFoundError, match="not a job id"):
        client.get_job("abc")


def test_invalid_arguments(client: Client) -> None:
    with pytest.raises(ValueError, match="use 'tweets' or 'users'"):
        client.create_job("videos")
    with pytest.raises(ValueError, match="at most 64 characters"):
        client.create_job("tweets", name="x" * 65)


def test_upload_refuses_a_job_that_no_longer_takes_ids(emulator: Emulator, client: Client) -> None:
    job = client.create_job("tweets")
    client.upload_ids(job, [1])
    client.wait(job)
    with pytest.raises(UploadError, match="is complete: it takes IDs only while 'created'"):
        client.upload_ids(job, [2])


def test_upload_after_the_window_is_an_expired_url(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(clock=virtual_clock)
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    virtual_clock.advance(901)
    with pytest.raises(UploadURLExpiredError, match="Create a new job"):
        client.upload_ids(job, [1])  # the API says expired: nothing is sent
    assert transfer_log(emulator) == []


def test_storage_refusing_an_expired_upload_url(
    make_emulator: EmulatorFactory,
    make_client,
    virtual_clock: ManualClock,
    tmp_path: Path,
    flow: str,
) -> None:
    from compliance_frames.client.uploads import upload_file

    emulator = make_emulator(clock=virtual_clock)
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    virtual_clock.advance(901)
    path = tmp_path / "ids.txt"
    path.write_bytes(b"1\n")
    with pytest.raises(UploadURLExpiredError, match="15 minutes") as caught:
        upload_file(client.transport, job, path, policy=client.policy, progress=False)
    if flow == "gcs":  # Cloud Storage's XML error
        assert (caught.value.code, caught.value.status) == ("ExpiredToken", 400)
    else:  # the API host's problem: an expired transfer token
        assert caught.value.status == 403
        assert "cannot be renewed" in str(caught.value)


def test_download_refuses_an_unfinished_job(client: Client) -> None:
    job = client.create_job("tweets")
    with pytest.raises(DownloadError, match="is created, not complete"):
        client.download_results(job)


def test_default_download_path_is_in_the_results_folder(client: Client) -> None:
    job = client.create_job("tweets")
    client.upload_ids(job, [1])
    path = client.download_results(client.wait(job))
    assert path == client.results_dir / f"{job.id}.ndjson"
    assert path.exists()


def test_plain_upload_is_one_sized_text_plain_put(
    make_emulator: EmulatorFactory, make_client
) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    ids = np.arange(10**18, 10**18 + 200_000, dtype=np.uint64)
    client.upload_ids(job, ids)
    [put] = transfer_log(emulator, "PUT")
    assert (put.status, put.content_type) == (200, "text/plain")
    assert put.content_length == 200_000 * 20  # declared up front: streamed, not chunked


def test_a_dropped_download_resumes_where_it_stopped(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, no_sleep
) -> None:
    emulator = make_emulator()  # derived outcomes: about 10% of the IDs have an event
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    client.upload_ids(job, np.arange(10**18, 10**18 + 200_000, dtype=np.uint64))
    done = client.wait(job)
    emulator.inject("download", "drop")
    path = client.download_results(done, tmp_path / "results.ndjson")
    gets = transfer_log(emulator, "GET")
    assert gets[0].range is None
    resumed = gets[1].range
    assert resumed is not None
    assert resumed.startswith("bytes=")
    assert int(resumed[len("bytes=") : -1]) > 0  # from the bytes already kept, not from 0
    complete = requests.get(done.download_url, headers=transfer_auth(emulator), timeout=10).content
    assert path.read_bytes() == complete


def test_a_download_that_keeps_failing_leaves_nothing(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, no_sleep
) -> None:
    emulator = make_emulator()
    client: Client = make_client(emulator, max_retries=2)
    job = client.create_job("tweets")
    client.upload_ids(job, np.arange(10**18, 10**18 + 50_000, dtype=np.uint64))
    done = client.wait(job)
    emulator.inject("download", "drop", times=10)
    dest = tmp_path / "out" / "results.ndjson"
    with pytest.raises(DownloadError, match="kept breaking off"):
        client.download_results(done, dest)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no partial file either


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html><body>Sign in to the hotel Wi-Fi</body></html>"),
        ("application/octet-stream", b"<?xml version='1.0'?><Error><Code>X</Code></Error>"),
    ],
    ids=["html-page", "xml-error-as-bytes"],
)
def test_an_error_page_answered_with_200_is_never_saved_as_results(
    client: Client, tmp_path: Path, content_type: str, body: bytes
) -> None:
    import dataclasses
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    def app(environ, start_response):  # a proxy or portal in front of the storage host
        return Response(body, status=200, content_type=content_type)(environ, start_response)

    job = client.create_job("tweets")
    client.upload_ids(job, [20])
    done = client.wait(job)
    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        portal = dataclasses.replace(done, download_url=f"http://127.0.0.1:{server.server_port}/r")
        dest = tmp_path / "out" / "results.ndjson"
        with pytest.raises(DownloadError, match=r"error page|not results|Content-Type"):
            client.download_results(portal, dest)
        assert not dest.exists()
    finally:
        server.shutdown()
        server.server_close()
