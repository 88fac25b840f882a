"""Fault injection: every kind on every endpoint, deterministic and consumed in order."""

from __future__ import annotations

import pytest
import requests

from compliance_frames.emulator import Emulator
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import (
    cancel,
    create,
    download,
    jobs_url,
    transfer_headers,
    upload,
    validating_session,
    wait_status,
)

KIB256 = 256 * 1024


def call(
    api: requests.Session, emulator: Emulator, endpoint: str, job_id: str
) -> requests.Response:
    if endpoint == "create":
        return api.post(jobs_url(emulator), json={"type": "users"})
    if endpoint == "list":
        return api.get(jobs_url(emulator), params={"type": "tweets"})
    return api.get(jobs_url(emulator, job_id))


@pytest.mark.parametrize("endpoint", ["create", "get", "list"])
@pytest.mark.parametrize(
    ("kind", "status", "problem_type"),
    [
        (429, 429, "about:blank"),
        (500, 500, "about:blank"),
        (503, 503, "about:blank"),
        ("usage-cap", 429, "https://api.twitter.com/2/problems/usage-capped"),
    ],
)
def test_api_error_faults(
    api: requests.Session,
    emulator: Emulator,
    endpoint: str,
    kind: object,
    status: int,
    problem_type: str,
) -> None:
    job = create(api, emulator)
    emulator.inject(endpoint, kind, times=2)
    for _ in range(2):
        answer = call(api, emulator, endpoint, job["id"])
        assert answer.status_code == status
        assert answer.json()["type"] == problem_type
        assert "x-rate-limit-reset" in answer.headers
    if kind == 429:
        assert answer.headers["x-rate-limit-remaining"] == "0"
    assert len(emulator.jobs) == 1  # nothing was created by a failed create
    assert call(api, emulator, endpoint, job["id"]).status_code == 200


@pytest.mark.parametrize("endpoint", ["create", "get", "list"])
def test_api_drop_cuts_the_body(
    api: requests.Session, emulator: Emulator, flow: str, endpoint: str
) -> None:
    job = create(api, emulator)
    emulator.inject(endpoint, "drop")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        call(api, emulator, endpoint, job["id"])
    assert [entry.status for entry in emulator.request_log("api")][-1] is None
    if endpoint == "create":  # the job was created before the answer was lost
        assert [j["type"] for j in emulator.jobs] == ["users", "tweets"]
        if flow == "bytepath":  # a created job is active: free the type
            cancel(api, emulator, emulator.jobs[0]["id"])
    assert call(api, emulator, endpoint, job["id"]).status_code == 200


@pytest.mark.flow("bytepath")  # the gcs flow has no cancel
@pytest.mark.parametrize(
    ("kind", "status", "problem_type"),
    [
        (429, 429, "about:blank"),
        (503, 503, "about:blank"),
        ("usage-cap", 429, "https://api.twitter.com/2/problems/usage-capped"),
    ],
)
def test_cancel_faults(
    api: requests.Session, emulator: Emulator, kind: object, status: int, problem_type: str
) -> None:
    job = create(api, emulator)
    emulator.inject("cancel", kind)
    answer = api.delete(jobs_url(emulator, job["id"]))
    assert (answer.status_code, answer.json()["type"]) == (status, problem_type)
    assert emulator.job(job["id"])["status"] == "created"  # not cancelled
    assert cancel(api, emulator, job["id"])["status"] == "failed"


def test_an_injected_conflict_is_x_s_409_with_no_job_behind_it(
    api: requests.Session, emulator: Emulator
) -> None:
    emulator.inject("create", "conflict")
    answer = api.post(jobs_url(emulator), json={"type": "tweets"})
    assert answer.status_code == 409
    assert answer.json()["type"] == "https://api.twitter.com/2/problems/conflict"
    assert emulator.jobs == []  # no job is active: the race of one that ended in between
    assert api.post(jobs_url(emulator), json={"type": "tweets"}).status_code == 200
    with pytest.raises(ValueError, match="create only"):
        emulator.inject("get", "conflict")


def test_create_fault_can_happen_after_processing(
    api: requests.Session, emulator: Emulator
) -> None:
    emulator.inject("create", 503, processed=True)
    assert api.post(jobs_url(emulator), json={"type": "tweets"}).status_code == 503
    assert len(emulator.jobs) == 1


@pytest.mark.flow("gcs")
@pytest.mark.parametrize(
    ("endpoint", "kind", "status", "code"),
    [
        ("upload", 429, 429, "SlowDown"),
        ("upload", 500, 500, "InternalError"),
        ("upload", 503, 503, "ServiceUnavailable"),
        ("download", 429, 429, "SlowDown"),
        ("download", 500, 500, "InternalError"),
        ("download", 503, 503, "ServiceUnavailable"),
    ],
)
def test_storage_error_faults(
    api: requests.Session, emulator: Emulator, endpoint: str, kind: int, status: int, code: str
) -> None:
    job = create(api, emulator)
    if endpoint == "download":
        upload(emulator, job, b"1\n")
        wait_status(api, emulator, job["id"], "complete")
    emulator.inject(endpoint, kind)
    answer = upload(emulator, job, b"1\n") if endpoint == "upload" else download(emulator, job)
    assert answer.status_code == status
    assert f"<Code>{code}</Code>" in answer.text
    if endpoint == "upload":
        assert emulator.job(job["id"])["status"] == "created"
        assert upload(emulator, job, b"1\n").status_code == 200
    else:
        assert download(emulator, job).status_code == 200


@pytest.mark.flow("bytepath")
@pytest.mark.parametrize("endpoint", ["upload", "download"])
@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [(429, 429, "Too Many Requests"), (500, 500, "Internal Server Error"), (503, 503, None)],
)
def test_transfer_error_faults_are_api_problems(
    api: requests.Session, emulator: Emulator, endpoint: str, kind: int, status: int, title: str
) -> None:
    job = create(api, emulator)
    if endpoint == "download":
        upload(emulator, job, b"1\n")
        wait_status(api, emulator, job["id"], "complete")
    emulator.inject(endpoint, kind)
    answer = upload(emulator, job, b"1\n") if endpoint == "upload" else download(emulator, job)
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["type"] == "about:blank"
    assert answer.json()["title"] == (title or "Service Unavailable")
    assert "x-rate-limit-reset" in answer.headers
    if endpoint == "upload":
        assert emulator.job(job["id"])["status"] == "created"
        assert upload(emulator, job, b"1\n").status_code == 200
    else:
        assert download(emulator, job).status_code == 200


@pytest.mark.flow("bytepath")
def test_upload_error_fault_after_processing_keeps_the_upload(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator)
    emulator.inject("upload", 503, processed=True)
    assert upload(emulator, job, b"1\n2\n").status_code == 503
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 2
    again = upload(emulator, job, b"1\n")  # the client retries: the IDs are in already
    assert again.status_code == 409
    assert "received its IDs already" in again.json()["detail"]


def test_upload_drop_loses_the_plain_upload(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    emulator.inject("upload", "drop")
    with pytest.raises(requests.ConnectionError):
        upload(emulator, job, b"1234567\n" * 500_000)
    assert emulator.job(job["id"])["status"] == "created"
    if emulator.flow == "bytepath":
        assert emulator.request_log("api")[-1].status is None
    assert upload(emulator, job, b"1\n").status_code == 200


@pytest.mark.flow("gcs")
def test_upload_drop_keeps_whole_chunks_of_a_resumable_upload(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator, resumable=True)
    start = requests.post(
        job["upload_url"],
        headers={"Content-Type": "text/plain", "x-goog-resumable": "start", "Content-Length": "0"},
    )
    session = start.headers["Location"]
    data = b"1234567\n" * (5 * KIB256 // 8)
    emulator.inject("upload", "drop")
    with pytest.raises(requests.ConnectionError):
        requests.put(
            session, data=data, headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
        )
    probe = requests.put(session, headers={"Content-Range": f"bytes */{len(data)}"})
    assert probe.status_code == 308
    stored = int(probe.headers["Range"].rsplit("-", 1)[1]) + 1
    assert stored == 2 * KIB256  # half of 5 chunks, rounded down to whole chunks
    rest = requests.put(
        session,
        data=data[stored:],
        headers={"Content-Range": f"bytes {stored}-{len(data) - 1}/{len(data)}"},
    )
    assert rest.status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == len(data) // 8


def test_download_drop_cuts_the_body_and_range_resumes(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={str(i): "deleted" for i in range(1, 2001)})
    api = validating_session(emulator)
    job = create(api, emulator)
    upload(emulator, job, b"".join(b"%d\n" % i for i in range(1, 2001)))
    wait_status(api, emulator, job["id"], "complete")
    whole = download(emulator, job).content
    emulator.inject("download", "drop")
    received = bytearray()
    headers = transfer_headers(emulator, None)

    def read_all() -> None:
        with requests.get(job["download_url"], stream=True, headers=headers) as answer:
            for block in answer.iter_content(4096):
                received.extend(block)

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        read_all()
    assert 0 < len(received) < len(whole)
    rest = download(emulator, job, Range=f"bytes={len(received)}-")
    assert rest.status_code == 206
    assert bytes(received) + rest.content == whole


def test_inject_refuses_unknown_endpoints_and_kinds(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        emulator.inject("delete", 500)
    with pytest.raises(ValueError, match="unknown fault"):
        emulator.inject("get", 404)
    with pytest.raises(ValueError, match="usage cap"):
        emulator.inject("upload", "usage-cap")
    with pytest.raises(ValueError, match="after >= 0"):
        emulator.inject("get", 500, after=-1)


@pytest.mark.flow("gcs")
def test_no_cancel_fault_in_the_gcs_flow(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match=r"gcs flow \(2\.159\) has no DELETE"):
        emulator.inject("cancel", 503)
    assert emulator.state.faults.pending() == 0


def test_after_lets_answers_through_first(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    emulator.inject("get", 503, after=2)
    statuses = [api.get(jobs_url(emulator, job["id"])).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]
