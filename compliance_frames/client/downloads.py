"""Downloading results: streamed to a file written atomically, resumed after a drop, verified.

The file appears at its destination only once complete and checked:

- its length is what the server declared (``Content-Length``, or the total of a
  ``Content-Range``); an answer without a length (chunked) is complete when its stream
  ends cleanly;
- a digest the server declared (``x-goog-hash`` md5, ``Repr-Digest`` sha-256) matches;
- every non-blank line is a JSON object (an error page is never saved as results).

After a dropped connection, or a stall (see :mod:`~compliance_frames.client.guards`),
the download continues with ``Range: bytes=N-`` from what was already written (from
the start when the answer was compressed on the way). A body that does not decode
(``Content-Encoding: gzip`` that is not gzip) is a :class:`DownloadError`. With
``record=True`` the size and CRC-32 are recorded beside the file (see
:mod:`~compliance_frames.client.integrity`).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any, BinaryIO

import requests
import urllib3.exceptions

from ..errors import DownloadError, WaitTimeoutError
from ..files import atomic_write
from ..models import ComplianceJob
from ..timing import phase
from .guards import (
    OutOfTime,
    Stalled,
    TransferLimits,
    Watchdog,
    check_time,
    redirect_error,
    remaining,
)
from .integrity import (
    Digests,
    NotResults,
    ResultsShape,
    declared_digests,
    transformed,
    write_record,
)
from .problems import transfer_error
from .progress import byte_bar, close
from .retry import RETRY_STATUSES, Retry, RetryPolicy
from .transport import Transport

log = logging.getLogger("compliance_frames")

_BLOCK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_DROPPED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_BROKEN = (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError)
_ERROR_TYPES = ("xml", "html")


def download_file(
    transport: Transport,
    job: ComplianceJob,
    dest: Path,
    *,
    progress: bool,
    limits: TransferLimits | None = None,
    record: bool = False,
    policy: RetryPolicy | None = None,
) -> Path:
    """Download ``job``'s results to ``dest`` (atomically, verified); return ``dest``.

    ``limits`` says when the transfer counts as stalled; ``record=True`` records the
    file's size and CRC-32 beside it (for the results cache); ``policy`` says how failed
    requests are retried and resumed (the client's: ``client.policy``).

    Example:
        >>> download_file(client.transport, job, Path("r.ndjson"), progress=False,
        ...               policy=client.policy)  # doctest: +SKIP
        PosixPath('r.ndjson')
    """
    bar = byte_bar(0, f"Downloading {job.name or job.id}", enabled=progress)
    started = time.monotonic()
    try:
        with phase("download"), atomic_write(dest) as sink:
            done = _Download(transport, job, sink, bar, limits, policy or RetryPolicy()).run()
    except OutOfTime:
        raise WaitTimeoutError(
            f"The timeout ran out while downloading the results of {job.describe()}; nothing "
            "was saved. The results stay downloadable until "
            f"{job.download_expires_at:%Y-%m-%d %H:%M} UTC: run the same IDs again (with a "
            "longer timeout) to download them.",
            job=job,
            waited=time.monotonic() - started,
        ) from None
    finally:
        close(bar)
    if record:
        write_record(dest, done.size, done.crc32())
    log.info("downloaded the results of %s to %s", job.describe(), dest)
    return dest


class _Download:
    """One download: its attempts, and what has been written and verified so far."""

    def __init__(
        self,
        transport: Transport,
        job: ComplianceJob,
        sink: BinaryIO,
        bar: Any,
        limits: TransferLimits | None,
        policy: RetryPolicy,
    ) -> None:
        self.transport = transport
        self.policy = policy
        self.job = job
        self.what = f"the download of {job.describe()}"
        self.sink = sink
        self.bar = bar
        self.limits = limits or TransferLimits()
        self.total: int | None = None
        self.declared: dict[str, bytes] = {}
        self.transformed = False
        self._restart()

    @property
    def written(self) -> int:
        return self.digests.size

    def _restart(self) -> None:
        """Start over from byte 0."""
        self.sink.seek(0)
        self.sink.truncate()
        self.digests = Digests()
        self.shape = ResultsShape()
        self.resumable = True

    def run(self) -> Digests:
        """Download until complete and verified; return the digests of what was written.
        A request that breaks off, stalls or ends early is resumed through the policy."""

        def attempt(retries: int) -> None:
            check_time()
            try:
                if self._attempt():
                    return
                reason = "the answer ended early"
            except Stalled:
                reason = f"it stalled ({self.limits.describe()})"
            except (*_DROPPED, *_BROKEN) as exc:
                reason = f"it broke off ({type(exc).__name__})"
            raise Retry(reason, then=f"resuming at byte {self.written}")

        def give_up(retry: Retry, attempts: int) -> None:
            raise DownloadError(
                f"The download of {self.job.describe()} kept breaking off ({retry.reason}) at "
                f"byte {self.written}. Check the network and try again; nothing was saved."
            ) from None

        self.policy.run(attempt, what=self.what, give_up=give_up, longest=remaining)
        self._verify()
        return self.digests

    def _attempt(self) -> bool:
        """One request; True once the whole body has arrived."""
        resume = self.written > 0 and self.resumable
        if self.written and not resume:
            self._restart()
        headers = {"Range": f"bytes={self.written}-"} if resume else {}
        with self.policy.call(
            lambda: self.transport.transfer(
                "GET", self.job.download_url, what=self.what, headers=headers, stream=True
            ),
            what=self.what,
        ) as response:
            if not self._accept(response, resume):
                return True  # 416 to a resume: everything had arrived
            self.bar.reset(total=self.total)
            self.bar.update(self.written)
            return self._receive(response)

    def _accept(self, response: requests.Response, resume: bool) -> bool:
        """Check an answer's status and headers; False when no more bytes are to come."""
        status, job = response.status_code, self.job
        if 300 <= status < 400:
            raise redirect_error(response, upload=False, what=job.describe())
        if status in RETRY_STATUSES or status == 429:
            # The retry policy already tried; these answers outlasted it.
            raise transfer_error(
                response, upload=False, what=job.describe(), mask=self.transport.mask
            )
        content_type = response.headers.get("Content-Type", "").lower()
        if status in (200, 206) and any(kind in content_type for kind in _ERROR_TYPES):
            raise DownloadError(
                f"The download of {job.describe()} returned an error page ({content_type}) "
                "instead of results; nothing was saved. A proxy or captive portal may stand in "
                "the way: check the network, then the job's status, and try again."
            )
        if status == 416 and resume:
            self.total = self.total if self.total is not None else self.written
            return False
        if status not in (200, 206):
            raise transfer_error(
                response, upload=False, what=job.describe(), mask=self.transport.mask
            )
        self.declared = declared_digests(response.headers) or self.declared
        if not self.written:  # the declared digests are known before the first byte
            self.digests = Digests(want=self.declared)
        encoded = transformed(response.headers)
        self.transformed = self.transformed or encoded
        if status == 200:
            if resume:
                self._restart()  # the whole file again: start over
            length = response.headers.get("Content-Length", "")
            self.total = int(length) if length.isdigit() and not encoded else None
        else:
            self._check_range(response.headers.get("Content-Range", ""), resume)
        self.resumable = not encoded  # offsets in a compressed answer are not the file's
        return True

    def _check_range(self, content_range: str, resume: bool) -> None:
        match = _CONTENT_RANGE.match(content_range)
        if (
            not resume
            or match is None
            or int(match.group(1)) != self.written
            or (match.group(3) == "*")
        ):
            raise DownloadError(
                f"The host answered the resumed download of {self.job.describe()} with an "
                f"unexpected range ({content_range!r}). Try again."
            )
        self.total = int(match.group(3))

    def _receive(self, response: requests.Response) -> bool:
        """Stream the body to the file; True if the whole file has arrived."""
        watchdog = Watchdog(self.limits)
        watchdog.bound(response, longest=self.transport.timeout)
        raw: Any = response.raw
        while True:
            try:
                block: bytes = raw.read1(_BLOCK, decode_content=True)
            except urllib3.exceptions.DecodeError:
                raise DownloadError(
                    f"The results of {self.job.describe()} arrived compressed "
                    f"({response.headers.get('Content-Encoding')}) but do not decompress: "
                    "damaged on the way. Nothing was saved; try again."
                ) from None
            except urllib3.exceptions.ReadTimeoutError:
                raise Stalled from None
            if not block:
                break
            self._write(block)
            watchdog.progressed(len(block))
        if self.total is None:  # no length declared: a clean end is the end
            self.total = self.written
        elif self.written > self.total:
            raise DownloadError(
                f"The download of {self.job.describe()} sent {self.written} bytes where "
                f"{self.total} were announced; nothing was saved. Try again."
            )
        return self.written == self.total

    def _write(self, block: bytes) -> None:
        try:
            self.shape.feed(block)
        except NotResults as exc:
            raise self._not_results(exc) from None
        self.sink.write(block)
        self.digests.update(block)
        self.bar.update(len(block))

    def _verify(self) -> None:
        """The whole file is here: its last line, and the digests the server declared."""
        try:
            self.shape.finish()
        except NotResults as exc:
            raise self._not_results(exc) from None
        mismatch = None if self.transformed else self.digests.mismatch(self.declared)
        if mismatch is not None:
            raise DownloadError(
                f"The results of {self.job.describe()} arrived damaged: their {mismatch} "
                "digest is not the one the host declared. Nothing was saved; try again."
            )

    def _not_results(self, problem: NotResults) -> DownloadError:
        page = "starts with '<'" in str(problem)
        said = "an error page" if page else f"something that is not results ({problem})"
        return DownloadError(
            f"The download of {self.job.describe()} returned {said} instead of results; "
            "nothing was saved. A proxy or captive portal may stand in the way: check the "
            "network, then the job's status, and try again."
        )
