"""Byte-path flow: uploads and downloads on the API host, with the bearer token and a
per-job, per-purpose token in the URL."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from compliance_frames.emulator import Emulator, ManualClock
from compliance_frames.emulator.jobs import Job
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import (
    cancel,
    create,
    download,
    jobs_url,
    upload,
    validating_session,
    wait_status,
)

pytestmark = pytest.mark.flow("bytepath")

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


def token_of(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query))["token"]


def with_token(url: str, token: str) -> str:
    return url.split("?", 1)[0] + "?token=" + token


def problem(answer: requests.Response, status: int) -> dict[str, Any]:
    """The problem of a refusal, after checking its status and media type."""
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.headers["api-version"] == "2.168"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


def completed(api: requests.Session, emulator: Emulator, data: bytes = b"1\n") -> dict[str, Any]:
    job = create(api, emulator)
    assert upload(emulator, job, data).status_code == 200
    wait_status(api, emulator, job["id"], "complete")
    return job


# -- URLs ---------------------------------------------------------------------------------


def test_transfer_urls_are_on_the_api_host_with_a_token_each(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator)
    assert (
        job["upload_url"]
        == f"{jobs_url(emulator, job['id'])}/upload?token={token_of(job['upload_url'])}"
    )
    assert (
        job["download_url"]
        == f"{jobs_url(emulator, job['id'])}/download?token={token_of(job['download_url'])}"
    )
    other = create(api, emulator, type="users")
    tokens = {token_of(j[k]) for j in (job, other) for k in ("upload_url", "download_url")}
    assert len(tokens) == 4  # per job and per purpose
    assert emulator.storage_url is None
    assert "storage_url" not in repr(emulator)
    assert "flow='bytepath'" in repr(emulator)


# -- authentication of the transfers --------------------------------------------------


@pytest.mark.parametrize("purpose", ["upload", "download"])
@pytest.mark.parametrize("header", [None, "Bearer not-the-token", "Basic abc"])
def test_transfer_without_the_bearer_token_is_401(
    api: requests.Session, emulator: Emulator, purpose: str, header: str | None
) -> None:
    job = completed(api, emulator) if purpose == "download" else create(api, emulator)
    headers = {"Content-Type": "text/plain"}
    if header is not None:
        headers["Authorization"] = header
    session = validating_session(emulator, None)
    if purpose == "upload":
        answer = session.put(job["upload_url"], data=b"1\n", headers=headers)
    else:
        answer = session.get(job["download_url"], headers=headers)
    assert problem(answer, 401) == UNAUTHORIZED
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
        answer.headers
    )
    if purpose == "upload":
        assert emulator.job(job["id"])["status"] == "created"


@pytest.mark.parametrize("purpose", ["upload", "download"])
def test_transfer_with_a_user_token_is_403(
    api: requests.Session, emulator: Emulator, purpose: str
) -> None:
    job = completed(api, emulator) if purpose == "download" else create(api, emulator)
    session = validating_session(emulator, emulator.user_token)
    if purpose == "upload":
        answer = session.put(job["upload_url"], data=b"1\n", headers={"Content-Type": "text/plain"})
    else:
        answer = session.get(job["download_url"])
    body = problem(answer, 403)
    assert body["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"


def test_upload_token_refusals_are_403(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    other = create(api, emulator, type="users")
    cases = {
        "download token": (token_of(job["download_url"]), "is the download token of job"),
        "other job's token": (token_of(other["upload_url"]), "not valid for the upload of job"),
        "malformed": ("not-a-token", "not valid for the upload"),
        "truncated": (token_of(job["upload_url"])[:-2], "not valid for the upload"),
        "missing": ("", "needs the token of the job's upload_url"),
    }
    for name, (token, fragment) in cases.items():
        answer = upload(emulator, {"upload_url": with_token(job["upload_url"], token)}, b"1\n")
        body = problem(answer, 403)
        assert body["type"] == "about:blank", name
        assert fragment in body["detail"], (name, body["detail"])
    no_query = upload(emulator, {"upload_url": job["upload_url"].split("?")[0]}, b"1\n")
    assert "needs the token" in problem(no_query, 403)["detail"]
    assert emulator.job(job["id"])["status"] == "created"
    assert upload(emulator, job, b"1\n").status_code == 200


def test_download_token_refusals_are_403(api: requests.Session, emulator: Emulator) -> None:
    job = completed(api, emulator)
    other = completed(api, emulator)
    for token, fragment in [
        (token_of(job["upload_url"]), "is the upload token of job"),
        (token_of(other["download_url"]), "not valid for the download of job"),
        ("%%%", "not valid for the download"),
    ]:
        answer = download(emulator, {"download_url": with_token(job["download_url"], token)})
        assert fragment in problem(answer, 403)["detail"]
    assert download(emulator, job).status_code == 200


def test_expired_upload_token_is_403_saying_when(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_633_592_478)  # 2021-10-07T07:41:18Z
    emulator = make_emulator(clock=clock)
    api = validating_session(emulator)
    job = create(api, emulator)
    clock.advance(899)
    assert upload(emulator, job, b"").status_code == 200  # a second before the end: fine
    late = create(api, emulator, type="users")  # created at 07:56:17
    clock.advance(900)
    body = problem(upload(emulator, late, b"1\n"), 403)
    assert "upload token of job" in body["detail"]
    assert "expired at 2021-10-07T08:11:17.000Z" in body["detail"]
    assert "cancel the job" in body["detail"]
    assert "create a new one" in body["detail"]
    assert emulator.job(late["id"])["status"] == "expired"


def test_expired_download_token_is_403(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, download_window=3600)
    api = validating_session(emulator)
    job = completed(api, emulator)
    clock.advance(3599)
    assert download(emulator, job).status_code == 200
    clock.advance(1)
    body = problem(download(emulator, job), 403)
    assert "download token of job" in body["detail"]
    assert "expired at 2023-11-14T23:13:20.000Z" in body["detail"]
    assert emulator.job(job["id"])["status"] == "complete"


def test_unknown_job_and_malformed_id(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    url = job["upload_url"].replace(job["id"], "123")
    assert (
        "no compliance job with id 123"
        in problem(upload(emulator, {"upload_url": url}, b"1\n"), 404)["detail"]
    )
    url = job["upload_url"].replace(job["id"], "abc")
    body = problem(upload(emulator, {"upload_url": url}, b"1\n"), 400)
    assert body["errors"][0]["parameters"] == {"id": ["abc"]}


def test_wrong_methods_are_405(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    assert problem(api.post(job["upload_url"], data=b"1\n"), 405)["title"] == "Method Not Allowed"
    assert problem(api.get(job["upload_url"]), 405)
    assert problem(api.put(job["download_url"], data=b"1\n"), 405)


# -- the upload ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/octet-stream", "text/plain; charset=utf-8", "Text/Plain"],
)
def test_upload_accepts_both_content_types(
    api: requests.Session, emulator: Emulator, content_type: str
) -> None:
    job = create(api, emulator)
    answer = upload(emulator, job, b"20\n21\n", **{"Content-Type": content_type})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    uploaded = answer.json()["data"]
    assert (uploaded["id"], uploaded["status"]) == (job["id"], "in_progress")
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 2


@pytest.mark.parametrize("content_type", ["application/json", "text/csv", None])
def test_upload_of_another_content_type_is_415(
    api: requests.Session, emulator: Emulator, content_type: str | None
) -> None:
    job = create(api, emulator)
    headers = {"Authorization": f"Bearer {emulator.bearer_token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = validating_session(emulator, None).put(job["upload_url"], data=b"1\n", headers=headers)
    body = problem(answer, 415)
    assert "text/plain or application/octet-stream" in body["detail"]
    assert emulator.job(job["id"])["status"] == "created"


@pytest.mark.parametrize(
    ("accepted", "refused"),
    [
        ("text/plain", "application/octet-stream"),
        ("application/octet-stream", "text/plain"),
    ],
)
def test_upload_types_narrow_what_is_accepted(
    make_emulator: EmulatorFactory, accepted: str, refused: str
) -> None:
    emulator = make_emulator(upload_types=(accepted,))
    api = validating_session(emulator)
    job = create(api, emulator)
    body = problem(upload(emulator, job, b"1\n", **{"Content-Type": refused}), 415)
    assert f"Content-Type {refused} is not supported" in body["detail"]
    assert f"send the IDs as {accepted}, one decimal ID per line" in body["detail"]
    assert emulator.job(job["id"])["status"] == "created"
    # the fallback a client makes on 415: the same IDs in the other type
    assert upload(emulator, job, b"1\n", **{"Content-Type": accepted}).status_code == 200


def test_upload_types_are_compared_without_case_or_parameters(
    make_emulator: EmulatorFactory,
) -> None:
    emulator = make_emulator(upload_types=("Text/Plain", "text/csv"))
    api = validating_session(emulator)
    job = create(api, emulator)
    body = problem(upload(emulator, job, b"1\n", **{"Content-Type": "application/json"}), 415)
    assert "send the IDs as Text/Plain or text/csv," in body["detail"]
    sent = {"Content-Type": "text/plain; charset=utf-8"}
    assert upload(emulator, job, b"1\n", **sent).status_code == 200


def test_upload_over_the_limit_is_413_and_the_client_sees_it(
    make_emulator: EmulatorFactory,
) -> None:
    emulator = make_emulator(max_upload_bytes=1000)
    api = validating_session(emulator)
    job = create(api, emulator)
    big = b"1234567\n" * 200_000  # 1.6 MB announced in Content-Length: refused before reading
    body = problem(upload(emulator, job, big), 413)
    assert "1600000 bytes" in body["detail"]
    assert "at most 1000 bytes" in body["detail"]
    assert "Split the IDs into several jobs" in body["detail"]
    assert emulator.job(job["id"])["status"] == "created"
    assert emulator.request_log("api")[-1].status == 413
    exactly = b"123456789\n" * 100
    assert upload(emulator, job, exactly).status_code == 200


def test_chunked_upload_over_the_limit_is_413(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(max_upload_bytes=1000)
    api = validating_session(emulator)
    job = create(api, emulator)

    def blocks(n: int) -> Iterator[bytes]:  # no Content-Length: counted while read
        for _ in range(n):
            yield b"123456789\n" * 10

    body = problem(upload(emulator, job, blocks(500)), 413)
    assert "at most 1000 bytes" in body["detail"]
    assert emulator.job(job["id"])["status"] == "created"
    assert upload(emulator, job, blocks(10)).status_code == 200  # 1000 bytes: fine
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 100


def test_upload_is_streamed_to_disk(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator()
    api = validating_session(emulator)
    job = create(api, emulator)
    hold = threading.Event()
    for _ in range(2):  # keep both processing workers busy: only the upload is measured
        emulator.state.executor.submit(hold.wait)

    def blocks() -> Iterator[bytes]:
        block = b"1234567890123456789\n" * 50_000  # 1 MB
        for _ in range(48):
            yield block

    tracemalloc.start()
    try:
        answer = upload(emulator, job, blocks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        hold.set()
    assert answer.status_code == 200
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MiB held for a 48 MiB upload"
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 48 * 50_000


@pytest.mark.parametrize("state", ["in_progress", "complete", "failed", "cancelled"])
def test_upload_to_a_job_that_is_not_created_is_409(
    api: requests.Session, emulator: Emulator, state: str
) -> None:
    if state == "in_progress":
        emulator.stall_next_job()
    if state == "failed":
        emulator.fail_next_job("bad file")
    job = create(api, emulator)
    if state == "cancelled":
        cancel(api, emulator, job["id"])
    else:
        assert upload(emulator, job, b"1\n").status_code == 200
        wait_status(api, emulator, job["id"], "in_progress" if state == "in_progress" else state)
    body = problem(upload(emulator, job, b"2\n3\n"), 409)
    assert body["type"] == "https://api.twitter.com/2/problems/conflict"
    assert job["id"] in body["detail"]
    expected = {
        "in_progress": "status in_progress",
        "complete": "status complete",
        "failed": "has failed (bad file)",
        "cancelled": "has failed (Cancelled by the client.)",
    }[state]
    assert expected in body["detail"]


@contextmanager
def upload_in_flight(
    emulator: Emulator, job: dict[str, Any]
) -> Iterator[tuple[Job, list[requests.Response]]]:
    """An upload of two lines whose body stops after the first until the block ends;
    yields the stored job (while it is receiving) and the list its answer goes to."""
    started, finish = threading.Event(), threading.Event()
    answers: list[requests.Response] = []

    def slow() -> Iterator[bytes]:
        yield b"1\n"
        started.set()
        finish.wait(10)
        yield b"2\n"

    first = threading.Thread(target=lambda: answers.append(upload(emulator, job, slow())))
    first.start()
    try:
        assert started.wait(10)
        stored = emulator.state.store.get(job["id"])
        assert stored is not None
        deadline = time.monotonic() + 10
        while not stored.uploading:  # the first upload's body is being read
            assert time.monotonic() < deadline
            time.sleep(0.01)
        yield stored, answers
    finally:
        finish.set()
        first.join(10)


def test_a_second_upload_while_the_first_is_received_is_409(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator)
    with upload_in_flight(emulator, job) as (_, answers):
        second = upload(emulator, job, b"3\n")
    assert "being received already" in problem(second, 409)["detail"]
    assert answers[0].status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 2


def test_a_cancel_while_an_upload_is_received_wins(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator)
    with upload_in_flight(emulator, job) as (stored, answers):
        assert cancel(api, emulator, job["id"])["status"] == "failed"
        second = upload(emulator, job, b"3\n")  # told of the cancel, not of the upload in flight
    cancelled = "has failed (Cancelled by the client.)"
    assert cancelled in problem(second, 409)["detail"]
    assert cancelled in problem(answers[0], 409)["detail"]  # the upload in flight is refused
    view = emulator.job(job["id"])
    assert (view["status"], view["error"]) == ("failed", "Cancelled by the client.")
    assert (view["n_ids"], view["uploaded_bytes"]) == (None, 0)
    assert (stored.uploaded_at, stored.processed, stored.uploading) == (None, False, False)
    assert list(Path(emulator.state.job_dir(stored)).iterdir()) == []  # nothing kept
    assert emulator.results(job["id"]) == b""


def test_blank_lines_and_crlf_uploads(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    assert upload(emulator, job, b"1\r\n\r\n2\n\n3").status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 3


# -- the download -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["created", "in_progress", "failed"])
def test_download_before_completion_is_409(
    api: requests.Session, emulator: Emulator, state: str
) -> None:
    if state == "in_progress":
        emulator.stall_next_job()
    if state == "failed":
        emulator.fail_next_job("bad file")
    job = create(api, emulator)
    if state != "created":
        upload(emulator, job, b"1\n")
        wait_status(api, emulator, job["id"], state)
    body = problem(download(emulator, job), 409)
    assert f"is {state}" in body["detail"]
    assert "not complete" in body["detail"]


def test_download_streams_results_and_honours_range(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={"20": "deleted", "30": "suspended"})
    api = validating_session(emulator)
    job = completed(api, emulator, b"10\n20\n30\n")
    whole = download(emulator, job)
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "application/octet-stream"
    assert whole.headers["Content-Length"] == str(len(whole.content))
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert "x-rate-limit-remaining" in whole.headers
    lines = whole.content.splitlines()
    assert [line.split(b'"')[3] for line in lines] == [b"20", b"30"]
    tail = download(emulator, job, Range="bytes=10-")
    assert tail.status_code == 206
    assert tail.content == whole.content[10:]
    assert (
        tail.headers["Content-Range"] == f"bytes 10-{len(whole.content) - 1}/{len(whole.content)}"
    )
    assert download(emulator, job, Range="bytes=5-9").content == whole.content[5:10]
    beyond = download(emulator, job, Range=f"bytes={len(whole.content)}-")
    assert problem(beyond, 416) == {
        "title": "Range Not Satisfiable",
        "detail": f"The results of job {job['id']} have {len(whole.content)} bytes; "
        f"the range bytes={len(whole.content)}- is outside them.",
        "type": "about:blank",
        "status": 416,
    }
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole.content)}"


def test_empty_results_download_as_an_empty_file(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={})
    api = validating_session(emulator)
    job = completed(api, emulator, b"1\n")
    answer = download(emulator, job)
    assert (answer.status_code, answer.content, answer.headers["Content-Length"]) == (200, b"", "0")


def test_transfers_are_logged_as_api_requests(api: requests.Session, emulator: Emulator) -> None:
    job = completed(api, emulator, b"".join(b"%d\n" % i for i in range(1, 1001)))
    download(emulator, job, Range="bytes=0-")
    log = emulator.request_log("api")
    polls = {jobs_url(emulator, job["id"]).split(emulator.base_url, 1)[1]}
    assert [(e.method, e.path.rsplit("/", 1)[1], e.status) for e in log if e.path not in polls] == [
        ("POST", "jobs", 200),
        ("PUT", "upload", 200),
        ("GET", "download", 206),
    ]
    put = next(e for e in log if e.method == "PUT")
    assert (put.content_type, put.content_length) == ("text/plain", 3893)
    assert put.authorization == f"Bearer {emulator.bearer_token}"
    assert log[-1].range == "bytes=0-"
    assert emulator.request_log("storage") == []
    assert emulator.storage_authorizations() == []


def test_transfers_have_their_own_rate_windows(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(rate_limit=2)
    api = validating_session(emulator)
    job = create(api, emulator)
    assert upload(emulator, job, b"1\n").status_code == 200
    emulator.wait_processed(job["id"])
    answers = [download(emulator, job) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["1", "0", "0"]
    assert problem(answers[-1], 429)["title"] == "Too Many Requests"


def test_upload_download_and_cancel_each_have_their_own_window(
    make_emulator: EmulatorFactory,
) -> None:
    emulator = make_emulator(rate_limit=2, events={})
    api = validating_session(emulator)
    first = create(api, emulator)
    uploads = [upload(emulator, first, b"1\n")]
    emulator.wait_processed(first["id"])
    downloads = [download(emulator, first)]
    second = create(api, emulator)  # create's window: now used up
    assert cancel(api, emulator, second["id"])["status"] == "failed"
    third = api.post(jobs_url(emulator), json={"type": "tweets"})
    assert third.status_code == 429
    uploads += [upload(emulator, second, b"2\n") for _ in range(2)]
    assert [a.status_code for a in uploads] == [200, 409, 429]
    assert [a.headers["x-rate-limit-remaining"] for a in uploads] == ["1", "0", "0"]
    downloads.append(download(emulator, first))  # upload's window is not download's
    assert [a.status_code for a in downloads] == [200, 200]
    assert [a.headers["x-rate-limit-remaining"] for a in downloads] == ["1", "0"]
    fetched = api.get(jobs_url(emulator, first["id"]))
    assert (fetched.status_code, fetched.headers["x-rate-limit-remaining"]) == (200, "1")


def test_the_default_flow_is_bytepath_and_keeps_a_given_data_folder(tmp_path: Path) -> None:
    given = tmp_path / "not" / "yet"
    with Emulator(data_dir=str(given), processing_seconds=0) as emulator:
        assert emulator.flow == "bytepath"
        api = validating_session(emulator)
        job = create(api, emulator)
        assert upload(emulator, job, b"20\n").status_code == 200
        wait_status(api, emulator, job["id"], "complete")
    assert (given / job["id"] / "delivery").is_file()
