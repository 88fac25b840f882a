"""Uploading IDs to a job's upload URL: one plain ``PUT``, or the resumable protocol.

Plain (both flows): one ``PUT`` with ``Content-Type: text/plain`` and a Content-Length,
streamed from the file (re-sent whole after a failure: a plain upload cannot resume).
On the 2026 byte-path flow the URL is on the API host and the request carries the
bearer token (see :meth:`HTTPTransport.transfer`); a server that refuses ``text/plain``
with 415 gets the same bytes as ``application/octet-stream``, the type its
specification declares.

Resumable (the older storage-host flow only): ``POST`` starts a session; chunks of a
multiple of 256 KiB are sent with ``Content-Range``; after a dropped connection an empty
``PUT`` with ``Content-Range: bytes */TOTAL`` asks how much arrived, and the upload
resumes from there. The session URI is kept on disk so that even a new process resumes it.
The protocol's decisions are :mod:`~compliance_frames.client.resumable`'s; this module
sends the requests and reads the file. Failed requests are retried by the one
:class:`~compliance_frames.client.retry.RetryPolicy`.

Neither follows a redirect (a 3xx is an :class:`UploadError` naming the status and the
host). Progress is watched block by block (see :mod:`~compliance_frames.client.guards`):
a plain upload that stalls is an :class:`UploadError`, a resumable one resumes; past the
run's deadline, a :class:`WaitTimeoutError`. The wait for the answer once every byte is
sent is bounded by the client's ``timeout``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import IO, Any

import requests

from ..errors import UploadError, WaitTimeoutError
from ..models import ComplianceJob
from ..timing import phase
from .guards import OutOfTime, Stalled, TransferLimits, Watchdog, check_time, redirect_error
from .problems import transfer_error
from .progress import byte_bar, close
from .resumable import (
    CHUNK,
    DEFAULT_CHUNK_SIZE,
    TEXT_PLAIN,
    Outcome,
    ResumableUpload,
    probe_headers,
    session_uri,
    start_headers,
)
from .retry import Retry, RetryPolicy
from .sessions import SessionStore
from .transport import Transport

log = logging.getLogger("compliance_frames")

__all__ = ["CHUNK", "DEFAULT_CHUNK_SIZE", "OCTET_STREAM", "TEXT_PLAIN", "upload_file"]

OCTET_STREAM = "application/octet-stream"
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
    policy: RetryPolicy | None = None,
) -> None:
    """Upload the ID file at ``path`` to ``job`` (plain or resumable, as the job was created).

    ``limits`` says when the upload counts as stalled; ``span`` (offset, bytes) uploads
    only that range of the file (a part of a larger set of IDs); ``policy`` says how
    failed requests are retried (the client's: ``client.policy``).

    Example:
        >>> upload_file(client.transport, job, ids.path, progress=False,
        ...             policy=client.policy)  # doctest: +SKIP
    """
    policy = policy or RetryPolicy()
    base, size = span if span is not None else (0, path.stat().st_size)
    bar = byte_bar(size, f"Uploading to {job.name or job.id}", enabled=progress)
    limits = limits or TransferLimits()
    started = time.monotonic()
    try:
        with phase("upload"):
            check_time()
            if job.resumable:
                _resumable(transport, policy, job, path, base, size, bar, sessions, chunk_size)
            else:
                _plain(transport, policy, job, path, base, size, bar, limits)
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
    policy: RetryPolicy,
    job: ComplianceJob,
    path: Path,
    base: int,
    size: int,
    bar: Any,
    limits: TransferLimits,
) -> None:
    what = f"the upload of {job.describe()}"
    for content_type in (TEXT_PLAIN, OCTET_STREAM):
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        try:
            response = policy.call(
                lambda: transport.transfer(
                    "PUT",
                    job.upload_url,
                    what=what,
                    headers=headers,  # noqa: B023 - called at once, in this iteration
                    data=lambda: _Reader(path, size, bar, Watchdog(limits), base),
                ),
                what=what,
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
    policy: RetryPolicy,
    job: ComplianceJob,
    path: Path,
    base: int,
    size: int,
    bar: Any,
    sessions: SessionStore | None,
    chunk_size: int,
) -> None:
    """Chunk by chunk (the decisions are :class:`ResumableUpload`'s); a chunk that fails is
    retried through the policy, each retry after asking what arrived. The run's deadline
    is checked before each chunk (a chunk is one request, bounded by the client's
    ``timeout``)."""
    upload = ResumableUpload(size, chunk_size)
    what = f"the upload of {job.describe()}"
    session = sessions.load(job.id) if sessions else None
    if session is not None and _probe(transport, policy, session, upload, what):
        log.info("resuming the upload of %s at byte %d", job.describe(), upload.offset)
    else:
        session = _start(transport, policy, job, what)
        if sessions:
            sessions.save(job.id, session)
        upload.offset = 0

    def send_chunk(retries: int, source: IO[bytes]) -> None:
        if retries and not _probe(transport, policy, session, upload, what):
            raise UploadError(
                f"The resumable upload session of {job.describe()} is gone. Run the job again: "
                "a new session will be started."
            )
        if upload.finished:
            return
        check_time()
        bar.n = upload.offset
        bar.refresh()
        chunk = upload.next_chunk()
        source.seek(base + chunk.start)
        block = source.read(chunk.end - chunk.start)
        try:
            response = transport.transfer(
                "PUT", session, what=what, data=block, headers=chunk.headers
            )
        except _DROPPED as exc:
            raise Retry(type(exc).__name__, then="asking what arrived") from None
        meant = upload.process(response.status_code, response.headers)
        if meant is Outcome.REDIRECT:
            raise redirect_error(response, upload=True, what=job.describe())
        if meant is Outcome.REFUSED:
            raise transfer_error(response, upload=True, what=job.describe(), mask=transport.mask)
        if meant is Outcome.RETRY:
            raise Retry(f"answered {response.status_code}", then="asking what arrived")

    def give_up(retry: Retry, attempts: int) -> None:
        raise UploadError(
            f"The upload of {job.describe()} kept failing ({retry.reason}), {attempts} times "
            "in a row. Try again later: the upload resumes where it stopped."
        )

    with open(path, "rb") as source:
        while not upload.finished:  # each chunk its own retries: a chunk stored resets them
            policy.run(lambda retries: send_chunk(retries, source), what=what, give_up=give_up)
    bar.n = size
    bar.refresh()
    if sessions:
        sessions.forget(job.id)


def _start(transport: Transport, policy: RetryPolicy, job: ComplianceJob, what: str) -> str:
    response = policy.call(
        lambda: transport.transfer(
            "POST", job.upload_url, what=what, headers=start_headers(), data=b""
        ),
        what=what,
    )
    _refuse_redirect(response, job)
    location = session_uri(response.status_code, response.headers)
    if location is None:
        raise transfer_error(response, upload=True, what=job.describe(), mask=transport.mask)
    return location


def _probe(
    transport: Transport, policy: RetryPolicy, session: str, upload: ResumableUpload, what: str
) -> bool:
    """Ask what arrived and move ``upload`` there; False if the session is unknown."""
    response = policy.call(
        lambda: transport.transfer(
            "PUT", session, what=what, data=b"", headers=probe_headers(upload.size)
        ),
        what=what,
    )
    return upload.resume(response.status_code, response.headers)
