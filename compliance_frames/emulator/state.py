"""What the emulated hosts share: settings, clock, jobs, limits, faults, the request log.

Example:
    >>> from compliance_frames.emulator.config import EmulatorConfig
    >>> state = EmulatorState.create(
    ...     EmulatorConfig(), data_dir="/tmp", api_origin="http://127.0.0.1:1"
    ... )
    >>> state.log.entries()
    []
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .clock import Clock, SystemClock
from .config import EmulatorConfig
from .faults import Faults
from .jobs import CANCELLED, Job, JobStore
from .processing import process_upload
from .ratelimit import RateLimiter
from .signing import URLSigner
from .tokens import TransferTokens

APP_ID = "1168916625673924610"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as a host saw it.

    ``authorization`` is the raw ``Authorization`` header, kept so that tests can
    prove a bearer token never reached the storage host. ``status`` is None when the
    connection was dropped on purpose.
    """

    host: str
    method: str
    path: str
    query: dict[str, str]
    status: int | None
    authorization: str | None
    content_type: str | None
    content_length: int | None
    at: float
    range: str | None = None
    """The ``Range`` header of a download (``bytes=N-`` when resumed)."""

    def __repr__(self) -> str:
        auth = "<absent>" if self.authorization is None else "<present>"
        return (
            f"LoggedRequest({self.host} {self.method} {self.path} -> {self.status}, "
            f"authorization={auth})"
        )


class RequestLog:
    """The last requests the hosts received, oldest first."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        """Record a request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self, host: str | None = None) -> list[LoggedRequest]:
        """All recorded requests, or those of one host (``"api"`` or ``"storage"``)."""
        with self._lock:
            return [entry for entry in self._entries if host in (None, entry.host)]

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._entries.clear()


@dataclass
class Fate:
    """What should happen to a job once uploaded: fail (with this error) or stall."""

    kind: str
    error: str | None = None
    job_type: str | None = None


@dataclass
class EmulatorState:
    """Everything the hosts share. Build it with :meth:`create`.

    ``api_origin`` is the API host's ``scheme://host:port`` (byte-path transfer URLs
    point there); ``signer`` signs the storage host's URLs in the gcs flow, and is None
    in the byte-path flow, which has no storage host.
    """

    config: EmulatorConfig
    clock: Clock
    data_dir: str
    api_origin: str
    signer: URLSigner | None
    tokens: TransferTokens
    store: JobStore
    limiter: RateLimiter
    faults: Faults
    log: RequestLog
    bearer_token: str
    user_token: str
    executor: ThreadPoolExecutor
    next_fates: list[Fate] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        config: EmulatorConfig,
        *,
        data_dir: str,
        api_origin: str,
        storage_origin: str | None = None,
        clock: Clock | None = None,
        bearer_token: str | None = None,
    ) -> EmulatorState:
        """Fresh state: no jobs, full rate windows, random signing keys and tokens.

        ``storage_origin`` is the storage host's origin, where the gcs flow's signed URLs
        point (the API origin when none is given). The byte-path flow has no signer.
        """
        clock = clock or SystemClock()
        signer = None
        if config.flow == "gcs":
            signer = URLSigner(secrets.token_bytes(32), storage_origin or api_origin)
        return cls(
            config=config,
            clock=clock,
            data_dir=data_dir,
            api_origin=api_origin.rstrip("/"),
            signer=signer,
            tokens=TransferTokens(secrets.token_bytes(32)),
            store=JobStore(),
            limiter=RateLimiter(config.rate_limit, config.rate_window, clock),
            faults=Faults(),
            log=RequestLog(),
            bearer_token=bearer_token or "AAAAAAAAAAAAAAAAAAAAA" + secrets.token_urlsafe(40),
            user_token="UC-" + secrets.token_urlsafe(40),
            executor=ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-processing"),
        )

    def now(self) -> float:
        """The emulator's current time."""
        return self.clock.time()

    def job_dir(self, job: Job) -> str:
        """The folder holding a job's uploaded IDs and results."""
        path = os.path.join(self.data_dir, job.id)
        # Not makedirs: a request still in flight when the emulator stops must not
        # bring back the data folder it has just removed.
        with contextlib.suppress(FileExistsError):
            os.mkdir(path)
        return path

    def url_signer(self) -> URLSigner:
        """The signer of the storage host's URLs (gcs flow; RuntimeError in the byte-path
        flow, which has none)."""
        if self.signer is None:
            raise RuntimeError("the byte-path flow has no storage host and signs no URLs")
        return self.signer

    def upload_path(self, job: Job) -> str:
        """Where a job's complete upload (its ID file) is kept; the folder is made."""
        return os.path.join(self.job_dir(job), "submission")

    def results_path(self, job: Job | str) -> str:
        """Where a job's results file is, once processed (nothing is made); ``job`` is
        the job or its id."""
        return os.path.join(self.data_dir, job if isinstance(job, str) else job.id, "delivery")

    def take_fate(self, job_type: str) -> Fate | None:
        """The first pending fate for a new job of this type, if any."""
        with self.store.lock:
            for index, fate in enumerate(self.next_fates):
                if fate.job_type in (None, job_type):
                    return self.next_fates.pop(index)
        return None

    def blocks_new_job(self, job: Job, now: float) -> bool:
        """Whether ``job`` keeps another job of its type from being created (409).

        Byte-path flow: a job is active while ``created`` (its upload window open) or
        ``in_progress``; gcs flow: only while ``in_progress``.
        """
        status = job.status(now)
        if self.config.flow == "bytepath":
            return status in ("created", "in_progress")
        return status == "in_progress"

    def cancel(self, job: Job) -> str | None:
        """Cancel an unfinished job: it becomes ``failed`` and its type is free again.

        Returns None, or the status of a job that has already finished (and is left alone).
        """
        with self.store.lock:
            now = self.now()
            status = job.status(now)
            if status not in ("created", "in_progress"):
                return status
            job.cancelled_at = now
            job.error = CANCELLED
        return None

    def finish_upload(self, job: Job, size: int) -> None:
        """Record a complete upload and start processing it in the background."""
        with self.store.lock:
            job.uploaded_at = self.now()
            job.uploaded_bytes = size
            job.session = None
        self.executor.submit(self._process, job)

    def _process(self, job: Job) -> None:
        upload = self.upload_path(job)
        try:
            outcome = process_upload(
                upload,
                self.results_path(job),
                job.type,
                self.config,
                now=self.now(),
            )
            error, n_ids, n_events = outcome.error, outcome.n_ids, outcome.n_events
            n_invalid = outcome.n_invalid
        except Exception as exc:  # pragma: no cover - a bug in processing must not hang jobs
            error, n_ids, n_events = f"Internal error while processing the upload: {exc}", 0, 0
            n_invalid = 0
        with self.store.lock:
            job.n_ids = n_ids
            job.n_events = n_events
            job.n_invalid = n_invalid
            job.processing_seconds = (
                self.config.processing_seconds + self.config.seconds_per_id * n_ids
            )
            if job.fate == "fail":
                error = job.fate_error or error
            if job.cancelled_at is None:  # a cancelled job keeps its error
                job.error = error
            job.processed = True
