"""Trust nothing the network says (issue #11): downloads verified before they are cached,
one job per IDs per machine, the server's clock for its windows, transfers that cannot
hang, and a cache folder checked before any job.

Misbehaviour the emulator cannot produce (a trickle, a redirect, a lying digest, broken
gzip) comes from stand-in servers on 127.0.0.1 (:mod:`tests.standins`)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import queue
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from base64 import b64encode
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_mock import MockerFixture
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from compliance_frames import (
    Client,
    ComplianceError,
    ConfigurationError,
    DownloadError,
    IdSet,
    UploadError,
    WaitTimeoutError,
)
from compliance_frames.client import guards, locks
from compliance_frames.client.downloads import download_file
from compliance_frames.client.uploads import upload_file
from compliance_frames.emulator import Emulator, ManualClock
from compliance_frames.emulator.wire import QuietHandler
from compliance_frames.idlines import format_ids
from compliance_frames.models import ComplianceJob
from tests.client.conftest import transfer_log
from tests.conftest import EmulatorFactory
from tests.standins import standin

TOKEN = "hostile-transfers-bearer-token-0123456789"
IDS = [1265324480517361664, 906972198136631298, 20, 5]
EVENTS = {"1265324480517361664": "deleted", "20": "suspended"}
RESULTS = b"".join(
    b'{"id":"%d","action":"delete","created_at":"2021-10-07T07:41:18.000Z",'
    b'"redacted_at":"2021-10-07T07:41:18.000Z","reason":"deleted"}\n' % n
    for n in range(10**18, 10**18 + 2000)
)
"""About 300 KB of results, for the stand-ins to serve."""
BOUND = 10.0
"""Seconds any misbehaving transfer may take to fail, with the small limits used here."""

once = pytest.mark.flow("bytepath")  # stand-in tests: the flow of the emulator is beside the point


# -- helpers --------------------------------------------------------------------------------


def job_at(base: str, *, path: str = "/results") -> ComplianceJob:
    """A complete job whose transfer URLs are on ``base`` (signed, as X's are)."""
    now = datetime.now(timezone.utc)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return ComplianceJob.from_api(
        {
            "id": "1446017776678801409",
            "type": "tweets",
            "status": "complete",
            "name": "hostile",
            "created_at": stamp(now),
            "upload_url": f"{base}/upload?token=SIGNATURE-SECRET",
            "upload_expires_at": stamp(now + timedelta(minutes=15)),
            "download_url": f"{base}{path}?token=SIGNATURE-SECRET",
            "download_expires_at": stamp(now + timedelta(days=7)),
        }
    )


def client_for(base: str, tmp_path: Path, **options: Any) -> Client:
    """A client whose API (and so transfer origin) is ``base``, with small limits."""
    settings: dict[str, Any] = {
        "cache_dir": tmp_path / "cache",
        "max_retries": 1,
        "backoff": 0.01,
        "stall_timeout": 0.5,
        "timeout": 30.0,
    }
    settings.update(options)
    return Client(TOKEN, base, **settings)


def files_under(folder: Path) -> list[str]:
    """Every file below ``folder``, relative, sorted."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def secret_free(message: str) -> None:
    assert TOKEN not in message
    assert "SIGNATURE-SECRET" not in message


def creates(emulator: Emulator) -> int:
    return sum(1 for entry in emulator.request_log("api") if entry.method == "POST")


def crc32(path: Path) -> str:
    return f"{zlib.crc32(path.read_bytes()):08x}"


def cut_connection(request: Request) -> None:
    """Close the client's connection now (the body promised is not all sent)."""
    sock: socket.socket = request.environ["werkzeug.socket"]
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def ranged(request: Request, body: bytes) -> tuple[int, bytes, dict[str, str]]:
    """Status, bytes and headers of a correct answer to a (possibly ranged) GET."""
    if request.range is None:
        return 200, body, {"Content-Length": str(len(body))}
    start, stop = request.range.range_for_length(len(body)) or (0, 0)
    headers = {
        "Content-Length": str(stop - start),
        "Content-Range": f"bytes {start}-{stop - 1}/{len(body)}",
    }
    return 206, body[start:stop], headers


def streamed(status: int, blocks: Iterator[bytes], headers: dict[str, str]) -> Response:
    response = Response(blocks, status=status, direct_passthrough=True)
    response.headers["Content-Type"] = "application/octet-stream"
    response.headers.update(headers)
    return response


def trickle(request: Request, total: int, every: float = 0.05, limit: float = 20.0) -> Response:
    """Announce ``total`` bytes, then send one a tick (for ``limit`` seconds at most)."""

    def drip() -> Iterator[bytes]:
        yield b"{"
        end = time.monotonic() + limit
        while time.monotonic() < end:
            time.sleep(every)
            yield b"x"

    status, _, headers = ranged(request, b"x" * total)
    return streamed(status, drip(), headers)


def download(client: Client, job: ComplianceJob) -> tuple[Path, float]:
    """Download into the cache folder; return the path and the seconds it took (or raise)."""
    dest = client.results_dir / f"{job.id}.ndjson"
    started = time.monotonic()
    download_file(
        client.transport,
        job,
        dest,
        policy=client.policy,
        progress=False,
        limits=client.transfer_limits,
    )
    return dest, time.monotonic() - started


# -- 1. results integrity -------------------------------------------------------------------


@once
def test_a_chunked_answer_without_a_length_is_complete_when_it_ends_cleanly(
    tmp_path: Path,
) -> None:
    def handler(request: Request) -> Response:
        return streamed(200, iter([RESULTS[:1000], RESULTS[1000:]]), {})

    with standin(handler) as server:
        client = client_for(server.url, tmp_path)
        path, _ = download(client, job_at(server.url))
    assert path.read_bytes() == RESULTS


@once
def test_a_chunked_answer_that_breaks_off_is_resumed_with_range(tmp_path: Path) -> None:
    def handler(request: Request) -> Response:
        if request.range is None:

            def broken() -> Iterator[bytes]:
                yield RESULTS[:100_001]
                cut_connection(request)

            return streamed(200, broken(), {})  # chunked, then cut
        status, body, headers = ranged(request, RESULTS)
        return streamed(status, iter([body]), headers)

    with standin(handler) as server:
        client = client_for(server.url, tmp_path)
        path, _ = download(client, job_at(server.url))
        ranges = [seen.headers.get("Range") for seen in server.requests]
    assert path.read_bytes() == RESULTS
    assert ranges[0] is None
    assert ranges[1] is not None
    assert int(ranges[1].removeprefix("bytes=").rstrip("-")) > 0


@once
def test_a_body_shorter_than_its_length_every_time_is_refused_and_nothing_saved(
    tmp_path: Path,
) -> None:
    def handler(request: Request) -> Response:
        status, body, headers = ranged(request, RESULTS)

        def short() -> Iterator[bytes]:
            yield body[: len(body) // 2]
            cut_connection(request)

        return streamed(status, short(), headers)

    with standin(handler) as server:
        client = client_for(server.url, tmp_path)
        with pytest.raises(DownloadError, match="kept breaking off") as caught:
            download(client, job_at(server.url))
    secret_free(str(caught.value))
    assert files_under(tmp_path) == []


def _md5(data: bytes) -> str:
    return b64encode(hashlib.md5(data).digest()).decode()


@once
@pytest.mark.parametrize(
    ("header", "value", "accepted"),
    [
        ("x-goog-hash", f"crc32c=AAAAAA==,md5={_md5(RESULTS)}", True),
        ("x-goog-hash", f"crc32c=AAAAAA==,md5={_md5(b'other bytes')}", False),
        ("Repr-Digest", f"sha-256=:{b64encode(hashlib.sha256(RESULTS).digest()).decode()}:", True),
        ("Repr-Digest", f"sha-256=:{b64encode(hashlib.sha256(b'x').digest()).decode()}:", False),
    ],
    ids=["md5-right", "md5-wrong", "sha256-right", "sha256-wrong"],
)
def test_a_declared_digest_must_match(
    tmp_path: Path, header: str, value: str, accepted: bool
) -> None:
    def handler(request: Request) -> Response:
        status, body, headers = ranged(request, RESULTS)
        return streamed(status, iter([body]), {**headers, header: value})

    with standin(handler) as server:
        client = client_for(server.url, tmp_path)
        if accepted:
            path, _ = download(client, job_at(server.url))
            assert path.read_bytes() == RESULTS
            return
        with pytest.raises(DownloadError, match="arrived damaged"):
            download(client, job_at(server.url))
    assert files_under(tmp_path) == []


@once
@pytest.mark.parametrize(
    "body",
    [
        b"Service temporarily unavailable\n",
        RESULTS + b'{"id":"7","reason":"del',  # the last line cut short
        b'{"id":"1"}\n[1, 2, 3]\n',
    ],
    ids=["plain-text", "last-line-cut", "not-an-object"],
)
def test_what_is_not_results_is_never_saved(tmp_path: Path, body: bytes) -> None:
    def handler(request: Request) -> Response:
        status, part, headers = ranged(request, body)
        return streamed(status, iter([part]), headers)

    with standin(handler) as server:
        client = client_for(server.url, tmp_path)
        with pytest.raises(DownloadError, match="not results") as caught:
            download(client, job_at(server.url))
    secret_free(str(caught.value))
    assert files_under(tmp_path) == []


@once
def test_gzip_is_decoded_and_broken_gzip_is_a_download_error(tmp_path: Path) -> None:
    packed = gzip.compress(RESULTS)
    bodies = {"/good": packed, "/broken": b"\x1f\x8b\x08\x00" + b"not gzip at all" * 100}

    def handler(request: Request) -> Response:
        body = bodies[request.path]
        headers = {"Content-Length": str(len(body)), "Content-Encoding": "gzip"}
        return streamed(200, iter([body]), headers)

    with standin(handler) as server:
        client = client_for(server.url, tmp_path)
        path, _ = download(client, job_at(server.url, path="/good"))
        assert path.read_bytes() == RESULTS
        path.unlink()
        with pytest.raises(DownloadError, match="do not decompress") as caught:
            download(client, job_at(server.url, path="/broken"))
    secret_free(str(caught.value))
    assert files_under(tmp_path) == []


def test_results_are_cached_with_a_record_and_damage_means_a_new_download(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    first = client.run_job(IDS, "tweets", progress=False)
    [path] = first.paths
    record = path.with_name(path.name + ".json")
    assert json.loads(record.read_text()) == {"size": path.stat().st_size, "crc32": crc32(path)}
    original = path.read_bytes()
    assert b"deleted" in original

    damages: list[Callable[[], Any]] = [
        lambda: path.write_bytes(original[: len(original) // 2]),  # truncated
        lambda: path.write_bytes(original.replace(b"deleted", b"DELETED")),  # edited, same size
        lambda: record.unlink(),  # no record
        lambda: record.write_text("{not json"),  # a damaged record
    ]
    for damage in damages:
        damage()
        gets = len(transfer_log(emulator, "GET"))
        again = client.run_job(IDS, "tweets", progress=False)
        assert again.jobs == first.jobs
        assert path.read_bytes() == original
        assert len(transfer_log(emulator, "GET")) == gets + 1  # downloaded again
        assert json.loads(record.read_text())["crc32"] == crc32(path)
    gets = len(transfer_log(emulator, "GET"))
    client.run_job(IDS, "tweets", progress=False)
    assert len(transfer_log(emulator, "GET")) == gets  # intact: used as it is
    assert creates(emulator) == 1
    assert all(  # nothing outside the cache folder, nothing but what it keeps
        name.startswith(("cache/results/", "cache/jobs/", "cache/locks/"))
        for name in files_under(tmp_path)
    )


def test_damaged_results_that_cannot_be_downloaded_again_are_an_error_not_a_new_job(
    make_emulator: EmulatorFactory, make_client, virtual_clock: ManualClock
) -> None:
    emulator = make_emulator(events=EVENTS, clock=virtual_clock)
    client: Client = make_client(emulator, max_age=None)  # 8 days old: wanted all the same
    first = client.run_job(IDS, "tweets", progress=False)
    [path] = first.paths
    path.write_bytes(path.read_bytes()[:10])
    virtual_clock.advance(8 * 24 * 3600)  # the download URL has expired
    with pytest.raises(ComplianceError, match="no longer match") as caught:
        client.run_job(IDS, "tweets", progress=False)
    assert str(path) in str(caught.value)
    assert "Delete the file" in str(caught.value)
    assert emulator.bearer_token not in str(caught.value)
    assert creates(emulator) == 1
    assert path.exists()  # left for the user to decide


# -- 2. one job per IDs per machine ---------------------------------------------------------


def test_threads_running_the_same_ids_share_one_job(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path
) -> None:
    emulator = make_emulator(events=EVENTS, processing_seconds=0.3)
    clients: list[Client] = [make_client(emulator) for _ in range(3)]  # one results folder
    barrier = threading.Barrier(len(clients) + 1)
    results: list[Any] = []
    failures: list[BaseException] = []

    def run(client: Client) -> None:
        barrier.wait()
        try:
            results.append(client.run_job(IDS, "tweets", progress=False))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    barrier.wait()  # the threads start together with two handles of one client
    handles = [clients[0].submit(IDS, "tweets", progress=False) for _ in range(2)]
    results.extend(handle.wait(timeout=60) for handle in handles)
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(results) == 5
    assert creates(emulator) == 1
    assert len(emulator.jobs) == 1
    assert all(result.jobs == results[0].jobs for result in results)
    assert len(transfer_log(emulator, "PUT")) == 1
    assert [name for name in files_under(tmp_path) if name.startswith("cache/locks/")] == [
        f"cache/locks/tweets-{IdSet.digest_of(np.array(sorted(IDS), dtype=np.uint64))}.lock"
    ]


_SECOND_RUN = textwrap.dedent(
    """
    import json, logging, sys
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    from compliance_frames import Client
    client = Client(poll_interval=0.05, max_poll_interval=0.5)
    result = client.run_job({ids!r}, "tweets", progress=False, timeout=120)
    print(json.dumps([job.id for job in result.jobs]))
    """
)


def test_a_second_process_waits_for_the_run_holding_the_ids(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, temporary
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    ids: IdSet = temporary(IdSet.from_ids(IDS))
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "BEARER_TOKEN": emulator.bearer_token,
        "X_API_BASE_URL": emulator.base_url,
        "COMPLIANCE_FRAMES_CACHE": str(cache),
    }
    lines: queue.Queue[str] = queue.Queue()
    with locks.exclusive(cache / "locks", f"tweets-{ids.digest}", what="the first run"):
        second = subprocess.Popen(
            [sys.executable, "-c", _SECOND_RUN.format(ids=list(reversed(IDS)))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert second.stderr is not None
        stderr = second.stderr
        threading.Thread(target=lambda: [lines.put(line) for line in stderr], daemon=True).start()
        seen: list[str] = []
        while not any("waiting for it" in line for line in seen):
            seen.append(lines.get(timeout=60))
        time.sleep(0.3)
        assert emulator.request_log() == []  # waiting: it asked X nothing yet
        # The first run's work, by hand: the job under the IDs' name, its results cached.
        job = client.create_job("tweets", name=ids.job_name("tweets"))
        client.upload_ids(job, ids)
        client.download_results(client.wait(job))
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, "".join(seen) + err
    assert json.loads(out) == [job.id]
    assert creates(emulator) == 1
    assert len(transfer_log(emulator, "GET")) == 1  # the second run used the cached results


def test_a_run_timeout_bounds_the_wait_for_another_run(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, temporary
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator)
    ids: IdSet = temporary(IdSet.from_ids(IDS))
    with locks.exclusive(tmp_path / "cache" / "locks", f"tweets-{ids.digest}", what="another"):
        started = time.monotonic()
        with pytest.raises(WaitTimeoutError, match="Another run on this machine"):
            client.run_job(IDS, "tweets", progress=False, timeout=0.5)
        assert time.monotonic() - started < BOUND
    assert emulator.request_log() == []
    assert client.run_job(IDS, "tweets", progress=False).job is not None  # released


# -- 3. the server's clock ------------------------------------------------------------------


@pytest.fixture
def server_date(mocker: MockerFixture) -> Callable[[Callable[[], str]], None]:
    """Make the emulator's ``Date`` header say what a function returns (werkzeug sends the
    machine's time otherwise, whatever the emulator's clock)."""

    def use(source: Callable[[], str]) -> None:
        def date_time_string(self: QuietHandler, timestamp: float | None = None) -> str:
            return source()

        mocker.patch.object(QuietHandler, "date_time_string", new=date_time_string)

    return use


def test_a_server_clock_behind_ours_still_gets_the_ids_in_its_first_job(
    make_emulator: EmulatorFactory, make_client, server_date: Any
) -> None:
    server_clock = ManualClock(start=time.time() - 20 * 60)  # X is 20 minutes behind us
    server_date(lambda: formatdate(server_clock.time(), usegmt=True))
    emulator = make_emulator(events=EVENTS, clock=server_clock)
    client: Client = make_client(emulator)
    result = client.run_job(IDS, "tweets", progress=False)
    assert sorted(record["id"] for record in result.records()) == ["1265324480517361664", "20"]
    assert creates(emulator) == 1  # not job after job "expired" by our clock
    assert abs(client.server_now().timestamp() - server_clock.time()) < 3


@once
def test_the_skew_comes_from_the_latest_believable_date(
    make_emulator: EmulatorFactory, make_client, server_date: Any
) -> None:
    said = [formatdate(time.time() + 600, usegmt=True)]
    server_date(lambda: said[0])
    emulator = make_emulator()
    client: Client = make_client(emulator)
    assert abs((client.server_now() - datetime.now(timezone.utc)).total_seconds()) < 2
    client.list_jobs("tweets")
    assert 597 < (client.server_now() - datetime.now(timezone.utc)).total_seconds() < 602
    for unusable in ("not a date", formatdate(time.time() + 90 * 24 * 3600, usegmt=True)):
        said[0] = unusable
        client.list_jobs("tweets")  # unreadable, or months away: kept as it was
        assert 597 < (client.server_now() - datetime.now(timezone.utc)).total_seconds() < 602
    said[0] = formatdate(time.time(), usegmt=True)
    client.list_jobs("tweets")
    assert client.server_now() - datetime.now(timezone.utc) < timedelta(seconds=2)


# -- 4. transfers that cannot hang or wander ----------------------------------------------------


@once
def test_a_trickling_download_is_given_up_in_bounded_time_after_resuming(tmp_path: Path) -> None:
    with standin(lambda request: trickle(request, total=100_000)) as server:
        client = client_for(server.url, tmp_path)
        started = time.monotonic()
        with pytest.raises(DownloadError, match="stalled") as caught:
            download(client, job_at(server.url))
        elapsed = time.monotonic() - started
        ranges = [seen.headers.get("Range") for seen in server.requests]
    assert elapsed < BOUND
    assert len(ranges) == 2  # resumed once
    assert ranges[0] is None
    assert ranges[1] is not None
    secret_free(str(caught.value))
    assert files_under(tmp_path) == []


@once
def test_a_download_that_sends_nothing_is_given_up_in_bounded_time(tmp_path: Path) -> None:
    def silent(request: Request) -> Response:
        def nothing() -> Iterator[bytes]:
            yield b""  # the headers go out; then nothing for a long while
            time.sleep(20)

        return streamed(200, nothing(), {"Content-Length": "1000"})

    with standin(silent) as server:
        client = client_for(server.url, tmp_path, timeout=60.0)  # far longer than the stall
        started = time.monotonic()
        with pytest.raises(DownloadError, match="stalled"):
            download(client, job_at(server.url))
        assert time.monotonic() - started < BOUND


def test_run_job_timeout_bounds_a_download_too(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path, mocker: MockerFixture
) -> None:
    emulator = make_emulator(events=EVENTS)
    client: Client = make_client(emulator, stall_timeout=60.0)  # never a stall: the timeout
    with standin(lambda request: trickle(request, total=100_000, every=0.01)) as slow:
        real = client.transport.transfer

        def results_from_the_slow_host(method: str, url: str, **options: Any) -> Any:
            return real(method, slow.url + "/results" if method == "GET" else url, **options)

        mocker.patch.object(client.transport, "transfer", side_effect=results_from_the_slow_host)
        started = time.monotonic()
        with pytest.raises(WaitTimeoutError, match="timeout ran out while downloading"):
            client.run_job(IDS, "tweets", progress=False, timeout=2.0)
        assert time.monotonic() - started < BOUND
    assert creates(emulator) == 1
    assert [name for name in files_under(tmp_path) if name.startswith("cache/results")] == []


@once
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_download_is_refused_saying_where_it_pointed(
    tmp_path: Path, status: int
) -> None:
    def portal(request: Request) -> Response:
        response = Response("", status=status)
        response.headers["Location"] = f"https://login.portal.example/auth?back={TOKEN}"
        return response

    with standin(portal) as server:
        client = client_for(server.url, tmp_path)
        with pytest.raises(DownloadError, match="redirect") as caught:
            download(client, job_at(server.url))
        assert len(server.requests) == 1
    message = str(caught.value)
    assert f"{status} to login.portal.example" in message
    assert "/auth" not in message
    secret_free(message)
    assert files_under(tmp_path) == []


@contextlib.contextmanager
def slow_reader(per_tick: int, tick: float = 0.1) -> Iterator[str]:
    """A host that reads uploads ``per_tick`` bytes a tick; yields its base URL."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream, left = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0)
        with contextlib.suppress(OSError):
            while left > 0:
                block = stream.read(min(per_tick, left))
                if not block:
                    break
                left -= len(block)
                time.sleep(tick)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def many_ids() -> Iterator[IdSet]:
    """40 MB of IDs: more than the sockets of a loopback connection hold. Made once for the
    module (the tests only read it): writing it is the slow part of these tests."""
    values = np.arange(10**18, 10**18 + 2_000_000, dtype=np.uint64)  # ascending, distinct
    # Written as IdSet.from_values writes it, without its np.unique: numpy 2.4's takes 20 s
    # on these 2 million values (a sort and a neighbour test take 0.1 s).
    with IdSet.new_file() as path:
        path.write_bytes(format_ids(values))
    ids = IdSet(path, int(values.size), IdSet.digest_of(values))
    yield ids
    ids.discard()


@once
def test_an_upload_past_the_runs_deadline_is_cut_off(tmp_path: Path, many_ids: IdSet) -> None:
    with slow_reader(per_tick=64 * 1024) as base:
        client = client_for(base, tmp_path, stall_timeout=60.0)
        job = job_at(base)
        started = time.monotonic()
        with guards.deadline(1.0), pytest.raises(WaitTimeoutError, match="uploading") as caught:
            upload_file(
                client.transport,
                job,
                many_ids.path,
                policy=client.policy,
                progress=False,
                limits=client.transfer_limits,
            )
        assert time.monotonic() - started < BOUND
    secret_free(str(caught.value))


@once
def test_a_stalled_upload_is_an_upload_error(tmp_path: Path, many_ids: IdSet) -> None:
    with slow_reader(per_tick=64 * 1024) as base:
        client = client_for(base, tmp_path, stall_timeout=0.5, stall_bytes=50 * 1024 * 1024)
        started = time.monotonic()
        with pytest.raises(UploadError, match="stalled") as caught:
            upload_file(
                client.transport,
                job_at(base),
                many_ids.path,
                policy=client.policy,
                progress=False,
                limits=client.transfer_limits,
            )
        assert time.monotonic() - started < BOUND
    secret_free(str(caught.value))


@once
@pytest.mark.parametrize("status", [302, 307])
def test_a_redirected_upload_is_refused_saying_where_it_pointed(
    tmp_path: Path, temporary: Callable[[IdSet], IdSet], status: int
) -> None:
    def elsewhere(request: Request) -> Response:
        response = Response("", status=status)
        response.headers["Location"] = "https://uploads.elsewhere.example/put?sig=abc"
        return response

    ids = temporary(IdSet.from_ids(IDS))
    with standin(elsewhere) as server:
        client = client_for(server.url, tmp_path)
        with pytest.raises(UploadError, match="redirect") as caught:
            upload_file(
                client.transport, job_at(server.url), ids.path, policy=client.policy, progress=False
            )
        assert [seen.method for seen in server.requests] == ["PUT"]  # not followed
    message = str(caught.value)
    assert f"{status} to uploads.elsewhere.example" in message
    assert "sig=abc" not in message
    secret_free(message)


# -- 5. the cache folder, checked before any job ------------------------------------------------


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "not-a-folder"
    path.write_text("")
    return path


def _under_a_file(tmp_path: Path) -> Path:
    return _a_file(tmp_path) / "cache"


def _read_only(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # chmod does not stop root; sysfs refuses new files even to root
        return Path("/sys/kernel")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


@pytest.mark.parametrize(
    ("where", "said"),
    [
        (_a_file, "is a file, not a folder"),
        (_under_a_file, "cannot be created"),
        (_read_only, "is not writable"),
    ],
    ids=["a-file", "under-a-file", "read-only"],
)
def test_an_unusable_cache_folder_is_said_before_any_job(
    make_emulator: EmulatorFactory,
    make_client,
    tmp_path: Path,
    where: Callable[[Path], Path],
    said: str,
) -> None:
    emulator = make_emulator()
    folder = where(tmp_path)
    client: Client = make_client(emulator, results_dir=folder)
    try:
        with pytest.raises(ConfigurationError, match=said) as caught:
            client.run_job(IDS, "tweets", progress=False)
    finally:
        with contextlib.suppress(OSError):
            folder.chmod(0o700)
    message = str(caught.value)
    assert str(folder) in message
    assert "Client(results_dir=...)" in message
    assert "COMPLIANCE_FRAMES_CACHE" in message
    assert emulator.request_log() == []  # nothing asked of X
