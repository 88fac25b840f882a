"""Jobs as the emulator keeps them, and their life from ``created`` to ``complete``.

A job's status is derived from the clock at every read, never stored, so a manual
clock moved forward in a test makes jobs expire or complete exactly as time passes.
A cancelled job (``DELETE /2/compliance/jobs/{id}``) is ``failed`` from then on.

Example:
    >>> from compliance_frames.emulator.clock import ManualClock
    >>> job = Job(id="1", type="tweets", name=None, resumable=False, created_at=0.0,
    ...           upload_url="u", download_url="d", upload_window=900, download_window=60)
    >>> job.status(now=10.0), job.status(now=901.0)
    ('created', 'expired')
    >>> sorted(job.to_json(now=10.0, optional=()))[:3]
    ['created_at', 'download_expires_at', 'download_url']
"""

from __future__ import annotations

import random
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

TWITTER_EPOCH_MS = 1288834974657
OPTIONAL_FIELDS = ("name", "resumable")
"""The fields an answer carries only when asked for (byte-path flow) or always (gcs flow);
the others (those the OpenAPI schema requires) are always there."""
CANCELLED = "Cancelled by the client."
"""The ``error`` of a job cancelled with ``DELETE``."""


def iso_time(epoch: float) -> str:
    """Format epoch seconds the way job objects do: ``2021-10-07T07:41:18.000Z``."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class UploadSession:
    """A resumable upload in progress: bytes stored so far, total once known."""

    upload_id: str
    path: str
    expires_at: float
    received: int = 0
    total: int | None = None


@dataclass
class Job:
    """One compliance job and everything the emulator knows about it."""

    id: str
    type: str
    name: str | None
    resumable: bool
    created_at: float
    upload_url: str
    download_url: str
    upload_window: float
    download_window: float
    uploaded_at: float | None = None
    uploaded_bytes: int = 0
    n_ids: int | None = None
    n_events: int | None = None
    processed: bool = False
    processing_seconds: float = 0.0
    error: str | None = None
    fate: str | None = None
    fate_error: str | None = None
    session: UploadSession | None = None
    cancelled_at: float | None = None
    uploading: bool = False
    """A byte-path upload is being received (a second one is refused meanwhile)."""
    n_invalid: int | None = None

    @property
    def upload_expires_at(self) -> float:
        """When the upload URL stops working."""
        return self.created_at + self.upload_window

    @property
    def download_expires_at(self) -> float:
        """When the download URL stops working."""
        return self.created_at + self.download_window

    @property
    def due_at(self) -> float | None:
        """When processing is over, once the upload is in."""
        if self.uploaded_at is None:
            return None
        return self.uploaded_at + self.processing_seconds

    def status(self, now: float) -> str:
        """The status a client would see at ``now``."""
        if self.cancelled_at is not None:
            return "failed"
        if self.uploaded_at is None:
            open_session = self.session is not None and now < self.session.expires_at
            if now >= self.upload_expires_at and not open_session:
                return "expired"
            return "created"
        due = self.due_at
        if self.fate == "stall" or not self.processed or (due is not None and now < due):
            return "in_progress"
        return "failed" if self.error else "complete"

    def to_json(
        self,
        now: float,
        rng: random.Random | None = None,
        optional: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """The job object of the API, keys in the real API's varying order when ``rng`` is given.

        ``optional`` names the optional fields to include (``name``, ``resumable``);
        None includes them all. ``error`` is always there when the job has failed.
        """
        status = self.status(now)
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "status": status,
            "resumable": self.resumable,
            "created_at": iso_time(self.created_at),
            "upload_url": self.upload_url,
            "upload_expires_at": iso_time(self.upload_expires_at),
            "download_url": self.download_url,
            "download_expires_at": iso_time(self.download_expires_at),
        }
        if self.name is not None:
            body["name"] = self.name
        if optional is not None:
            for name in OPTIONAL_FIELDS:
                if name not in optional:
                    body.pop(name, None)
        if status == "failed":
            body["error"] = self.error
        if rng is not None:
            keys = list(body)
            rng.shuffle(keys)
            body = {key: body[key] for key in keys}
        return body


@dataclass
class JobStore:
    """Thread-safe store of jobs with snowflake IDs, newest last."""

    worker_id: int = 7
    lock: threading.RLock = field(default_factory=threading.RLock)
    _jobs: dict[str, Job] = field(default_factory=dict)
    _last_ms: int = 0
    _sequence: int = 0

    def next_id(self, now: float) -> str:
        """A new snowflake: milliseconds since the Twitter epoch, worker, sequence."""
        with self.lock:
            ms = int(now * 1000) - TWITTER_EPOCH_MS
            if ms <= self._last_ms:
                ms = self._last_ms
                self._sequence = (self._sequence + 1) % 4096
                if self._sequence == 0:
                    ms += 1
            else:
                self._sequence = 0
            self._last_ms = ms
            return str((ms << 22) | (self.worker_id << 12) | self._sequence)

    def add(self, job: Job) -> None:
        """Keep a new job."""
        with self.lock:
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job | None:
        """The job with this ID, if any."""
        with self.lock:
            return self._jobs.get(job_id)

    def newest_first(self, job_type: str | None = None) -> list[Job]:
        """All jobs, or those of one type, newest first."""
        with self.lock:
            jobs = [job for job in self._jobs.values() if job_type in (None, job.type)]
        return sorted(jobs, key=lambda job: int(job.id), reverse=True)

    def __iter__(self) -> Iterator[Job]:
        return iter(self.newest_first())
