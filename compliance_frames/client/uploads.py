"""Uploading IDs to a job's upload URL: one plain ``PUT``, or the resumable protocol.

Plain (both flows): one ``PUT`` with ``Content-Type: text/plain`` and a Content-Length,
streamed from the file (re-sent whole after a failure: a plain upload cannot resume).
On the 2026 byte-path flow the URL is on the API host and the request carries the
bearer token (see :meth:`Transport.transfer`); a server that refuses ``text/plain``
with 415 gets the same bytes as ``application/octet-stream``, the type its
specification declares.

Resumable (the older storage-host flow only): ``POST`` starts a session; chunks of a
multiple of 256 KiB are sent with ``Content-Range``; after a dropped connection an empty
``PUT`` with ``Content-Range: bytes */TOTAL`` asks how much arrived, and the upload
resumes from there. The session URI is kept on disk so that even a new process resumes it.

Neither follows a redirect (a 3xx is an :class:`UploadError` naming the status and the
host). Progress is watched block by block (see :mod:`~compliance_frames.client.guards`):
a plain upload that stalls is an :class:`UploadError`, a resumable one resumes; past the
run's deadline, a :class:`WaitTimeoutError`. The wait for the answer once every byte is
sent is bounded by the client's ``timeout``.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import IO, Any

import requests

from ..errors import UploadError, WaitTimeoutError
from ..models import ComplianceJob
from ..timing import phase
from . import clock
from .guards import OutOfTime, Stalled, TransferLimits, Watchdog, check_time, redirect_error
from .problems import transfer_error
from .progress import byte_bar, close
from .retry import RETRY_STATUSES
from .sessions import SessionStore
from .transport import Transport

log = logging.getLogger("compliance_frames")

CHUNK = 256 * 1024
DEFAULT_CHUNK_SIZE = 32 * CHUNK  # 8 MiB
TEXT_PLAIN = "text/plain"
OCTET_STREAM = "application/octet-stream"
_RANGE = re.compile(r"bytes=0-(\d+)")
_DROPPED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class _Reader:
    """A file read in blocks by requests, reporting progress to the bar and the watchdog
    (whose :class:`Stalled` or :class:`OutOfTime` ends the request)."""

    def __init__(
        self, path: Path, size: int, bar: Any, watchdog: Watchdog, offset: int = 0
    ) -> None:
        self._file: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by read() at EOF
        self._file.seek(offset)
        self._size = self._left = size
        self._bar = bar
        self._watchdog = watchdog
        bar.reset(total=size)

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        try:
            self._watchdog.progressed(0)  # the block before this one is sent
            wanted = self._left if size < 0 else min(size, self._left)
            block = self._file.read(wanted) if wanted else b""
            self._left -= len(block)
        except BaseException:
            self._file.close()
            raise
        if block:
            self._bar.update(len(block))
            self._watchdog.progressed(len(block))
        else:
            self._file.close()
        return block


def upload_file(
    transport: Transport,
    job: ComplianceJob,
    path: Path,
    *,
    progress: bool,
    sessions: SessionStore | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    limits: TransferLimits | None = None,
    span: tuple[int, int] | None = None,
) -> None:
    """Upload the ID file at ``path`` to ``job`` (plain or resumable, as the job was created).

    ``limits`` says when the upload counts as stalled; ``span`` (offset, bytes) uploads
    only that range of the file (a part of a larger set of IDs).

    Example:
        >>> upload_file(client.transport, job, ids.path, progress=False)  # doctest: +SKIP
    """
    base, size = span if span is not None else (0, path.stat().st_size)
    bar = byte_bar(size, f"Uploading to {job.name or job.id}", enabled=progress)
    limits = limits or TransferLimits()
    started = time.monotonic()
    try:
        with phase("upload"):
            check_time()
            if job.resumable:
                _resumable(transport, job, path, base, size, bar, sessions, chunk_size)
            else:
                _plain(transport, job, path, base, size, bar, limits)
    except OutOfTime:
        raise WaitTimeoutError(
            f"The timeout ran out while uploading the IDs to {job.describe()}; the upload was "
            f"cut off. Its upload URL stays open until {job.upload_expires_at:%H:%M:%S} UTC: "
            "run the same IDs again to upload to it (or to a new job after that).",
            job=job,
            waited=time.monotonic() - started,
        ) from None
    finally:
        close(bar)
    log.info("uploaded %d bytes to %s", size, job.describe())


def _plain(
    transport: Transport,
    job: ComplianceJob,
    path: Path,
    base: int,
    size: int,
    bar: Any,
    limits: TransferLimits,
) -> None:
    for content_type in (TEXT_PLAIN, OCTET_STREAM):
        try:
            response = transport.transfer(
                "PUT",
                job.upload_url,
                what=f"the upload of {job.describe()}",
                headers={"Content-Type": content_type, "Content-Length": str(size)},
                data=lambda: _Reader(path, size, bar, Watchdog(limits), base),
            )
        except Stalled:
            raise UploadError(
                f"The upload to {job.describe()} stalled ({limits.describe()}). Check the "
                "network and try again: running the same IDs again re-attaches to the job "
                "while its upload URL is open."
            ) from None
        if response.status_code != 415:
            break
        log.info("%s refused %s (415); sending %s", job.describe(), content_type, OCTET_STREAM)
    _refuse_redirect(response, job)
    if response.status_code not in (200, 201):
        raise transfer_error(response, upload=True, what=job.describe(), mask=transport.mask)


def _refuse_redirect(response: requests.Response, job: ComplianceJob) -> None:
    if 300 <= response.status_code < 400:
        raise redirect_error(response, upload=True, what=job.describe())


def _resumable(
    transport: Transport,
    job: ComplianceJob,
    path: Path,
    base: int,
    size: int,
    bar: Any,
    sessions: SessionStore | None,
    chunk_size: int,
) -> None:
    """Chunk by chunk; a dropped chunk is followed by asking what arrived. The run's
    deadline is checked before each chunk (a chunk is one request, bounded by the
    client's ``timeout``)."""
    if chunk_size % CHUNK:
        raise ValueError(f"chunk_size must be a multiple of 256 KiB, got {chunk_size}")
    what = f"the upload of {job.describe()}"
    session = sessions.load(job.id) if sessions else None
    offset: int | None = None
    if session is not None:
        offset = _probe(transport, session, size, what)
        if offset is not None:
            log.info("resuming the upload of %s at byte %d", job.describe(), offset)
    if session is None or offset is None:
        session = _start(transport, job, what)
        if sessions:
            sessions.save(job.id, session)
        offset = 0
    policy = transport.policy
    failures = 0
    with open(path, "rb") as source:
        while offset is not None and offset <= size:
            check_time()
            bar.n = offset
            bar.refresh()
            end = min(offset + chunk_size, size)
            source.seek(base + offset)
            block = source.read(end - offset)
            content_range = (
                f"bytes {offset}-{end - 1}/{size}" if end > offset else f"bytes */{size}"
            )
            try:
                response: requests.Response | None = transport.transfer(
                    "PUT",
                    session,
                    what=what,
                    data=block,
                    headers={"Content-Range": content_range},
                    retry=False,
                )
            except _DROPPED as exc:
                response = None
                reason = type(exc).__name__
            if response is not None:
                reason = f"answered {response.status_code}"
                if response.status_code in (200, 201):
                    bar.n = size
                    bar.refresh()
                    break
                if response.status_code == 308:  # the protocol's "resume incomplete"
                    offset = _stored(response)
                    failures = 0
                    continue
                _refuse_redirect(response, job)
                if response.status_code not in RETRY_STATUSES and response.status_code != 429:
                    raise transfer_error(
                        response, upload=True, what=job.describe(), mask=transport.mask
                    )
            failures += 1
            if failures > policy.max_retries:
                raise UploadError(
                    f"The upload of {job.describe()} kept failing ({reason}), {failures} times "
                    "in a row. Try again later: the upload resumes where it stopped."
                )
            delay = policy.backoff_delay(failures - 1)
            log.warning(
                "%s: chunk %s (%s); asking what arrived in %.1f s",
                what,
                content_range,
                reason,
                delay,
            )
            clock.sleep(delay)
            offset = _probe(transport, session, size, what)
            if offset is None:
                raise UploadError(
                    f"The resumable upload session of {job.describe()} is gone. Run the job again: "
                    "a new session will be started."
                )
    if sessions:
        sessions.forget(job.id)


def _start(transport: Transport, job: ComplianceJob, what: str) -> str:
    response = transport.transfer(
        "POST",
        job.upload_url,
        what=what,
        headers={"Content-Type": TEXT_PLAIN, "Content-Length": "0", "x-goog-resumable": "start"},
        data=b"",
    )
    _refuse_redirect(response, job)
    location = response.headers.get("Location")
    if response.status_code not in (200, 201) or not location:
        raise transfer_error(response, upload=True, what=job.describe(), mask=transport.mask)
    return location


def _probe(transport: Transport, session: str, size: int, what: str) -> int | None:
    """Bytes already stored (size + 1 once complete), or None if the session is unknown."""
    response = transport.transfer(
        "PUT", session, what=what, data=b"", headers={"Content-Range": f"bytes */{size}"}
    )
    if response.status_code in (200, 201):
        return size + 1
    if response.status_code == 308:
        return _stored(response)
    return None


def _stored(response: requests.Response) -> int:
    match = _RANGE.match(response.headers.get("Range", ""))
    return int(match.group(1)) + 1 if match else 0
