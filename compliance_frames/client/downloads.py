"""Downloading results: streamed to a file written atomically, resumed after a drop.

The file appears at its destination only once complete. After a dropped connection
the download continues with ``Range: bytes=N-`` from what was already written. An
answer that is an error page (XML or HTML) is never saved as results.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import requests

from ..errors import DownloadError
from ..files import atomic_write
from ..models import ComplianceJob
from ..timing import phase
from . import clock
from .problems import transfer_error
from .progress import byte_bar, close
from .retry import RETRY_STATUSES
from .transport import Transport

log = logging.getLogger("compliance_frames")

_BLOCK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_DROPPED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_ERROR_TYPES = ("xml", "html")


def download_file(transport: Transport, job: ComplianceJob, dest: Path, *, progress: bool) -> Path:
    """Download ``job``'s results to ``dest`` (atomically); return ``dest``."""
    what = job.describe()
    bar = byte_bar(0, f"Downloading {job.name or job.id}", enabled=progress)
    policy = transport.policy
    try:
        with phase("download"), atomic_write(dest) as sink:
            written = 0
            total: int | None = None
            failures = 0
            while total is None or written < total:
                headers = {"Range": f"bytes={written}-"} if written else {}
                try:
                    with transport.transfer(
                        "GET",
                        job.download_url,
                        what=f"the download of {what}",
                        headers=headers,
                        stream=True,
                    ) as response:
                        total, restart = _check(response, written, job)
                        if restart:
                            sink.seek(0)
                            sink.truncate()
                            written = 0
                        bar.reset(total=total)
                        bar.update(written)
                        if total == written:
                            break
                        for block in response.iter_content(_BLOCK):
                            if written == 0:
                                _refuse_error_page(block, job)
                            sink.write(block)
                            written += len(block)
                            bar.update(len(block))
                        failures = 0
                except _DROPPED as exc:
                    failures += 1
                    if failures > policy.max_retries:
                        raise DownloadError(
                            f"The download of {what} kept breaking off ({type(exc).__name__}) at "
                            f"byte {written}. Check the network and try again."
                        ) from None
                    delay = policy.backoff_delay(failures - 1)
                    log.warning(
                        "download of %s broke off at byte %d; resuming in %.1f s",
                        what,
                        written,
                        delay,
                    )
                    clock.sleep(delay)
                    continue
                if total is not None and written < total:
                    raise DownloadError(
                        f"The download of {what} ended early at byte {written} of {total}."
                    )
    finally:
        close(bar)
    log.info("downloaded the results of %s to %s", what, dest)
    return dest


def _check(response: requests.Response, written: int, job: ComplianceJob) -> tuple[int, bool]:
    """Validate an answer; return (total size, whether to restart from byte 0)."""
    status = response.status_code
    if status in RETRY_STATUSES or status == 429:
        # The retry policy already tried; these answers outlasted it.
        raise transfer_error(response, upload=False, what=job.describe())
    content_type = response.headers.get("Content-Type", "").lower()
    if status in (200, 206) and any(kind in content_type for kind in _ERROR_TYPES):
        raise DownloadError(
            f"The download of {job.describe()} returned an error page ({content_type}) instead "
            "of results; nothing was saved. A proxy or captive portal may stand in the way: "
            "check the network, then the job's status, and try again."
        )
    if status not in (200, 206):
        if status == 416 and written:
            return written, False
        raise transfer_error(response, upload=False, what=job.describe())
    length = int(response.headers.get("Content-Length", "-1"))
    if status == 200:
        if length < 0:
            raise DownloadError(
                f"The download of {job.describe()} has no Content-Length; cannot verify it."
            )
        return length, written > 0
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if match is None or int(match.group(1)) != written or match.group(3) == "*":
        raise DownloadError(
            f"The storage host answered the resumed download of {job.describe()} with an "
            f"unexpected range ({response.headers.get('Content-Range')!r}). Try again."
        )
    return int(match.group(3)), False


def _refuse_error_page(block: bytes, job: ComplianceJob) -> None:
    head = block.lstrip()[:64].lower()
    if head.startswith((b"<?xml", b"<error", b"<!doctype", b"<html")):
        raise DownloadError(
            f"The download of {job.describe()} returned an error page instead of results; "
            "nothing was saved. Check the job's status and try again."
        )
