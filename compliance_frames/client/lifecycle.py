"""The whole life of a job, idempotent: find or create, upload, wait, download.

The job is named after its IDs (``cf-tweets-<count>-<digest>``), so running the same
IDs again finds the job from last time:

- complete, results still downloadable (or already on disk): use them;
- in progress: wait for it;
- created, upload window still open: upload to it (resuming a resumable upload);
- failed: raise (``retry_failed=True`` starts over), unless this machine cancelled it;
- expired, cancelled here, or nothing found: create a new job.

IDs that would make an upload larger than the client's ``max_upload_bytes`` (X takes
128 MB at most in its 2026 flow) are split into parts, one job each, run one after
another and returned as one result; each part is named and re-attached to as above.
An upload answered with 413 teaches the client a smaller limit: the job is cancelled
and the IDs are split again.

A job given a name of the user's own is found again only if this machine's ledger
says it holds the same IDs (see :mod:`~compliance_frames.client.ledger`): the same
name on another dataset makes a new job, never the old dataset's results.

A conflict with another compliance-frames job of the same type (X runs one per type
at a time) means waiting for it; a conflict with someone else's job, or with a job of
this machine that still waits for other IDs, is raised with how to cancel it.

Before anything is asked of X, the cache folder is checked usable (see
:func:`~compliance_frames.files.usable_folder`), and the run takes this machine's lock
on its IDs (see :mod:`~compliance_frames.client.locks`). Cached results are used only
while they match the record made when they were downloaded (see
:mod:`~compliance_frames.client.integrity`); damaged ones are downloaded again. Windows
of time are judged by the server's clock (:meth:`Client.server_now`), and ``timeout``
bounds the whole run, transfers included.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import (
    ComplianceError,
    ConflictError,
    DownloadURLExpiredError,
    JobExpiredError,
    JobFailedError,
    UploadTooLargeError,
    UploadURLExpiredError,
    WaitTimeoutError,
)
from ..hints import Argument, Choice, Hint, Spelled
from ..models import ComplianceJob, JobStatus, JobType
from ..timing import phase
from . import clock, freshness, guards, integrity, locks
from .idsets import MIN_UPLOAD_BYTES, NAME_PREFIX, IdSet
from .ledger import Ledger
from .progress import close, wait_bar
from .records import read_records
from .refusals import remaining_digest

if TYPE_CHECKING:
    from .client import Client

log = logging.getLogger("compliance_frames")

Observer = Callable[[ComplianceJob], None]
_MAX_NEW_JOBS = 3
_MAX_VANISHED = 3
"""Conflicts in a row whose blocking job could not be found (it ended meanwhile) before
giving up."""
_UPLOAD_MARGIN = 60.0
_STALE_AFTER = 300.0
"""Seconds after which a job still waiting for its IDs is taken as abandoned (an upload
of 128 MB takes less on any link a researcher would run this on)."""
_DOWNLOAD_MARGIN = 60.0


@dataclass(frozen=True)
class JobResult:
    """What :meth:`Client.run_job` produced: the jobs and their results files.

    The files stay on disk (in the client's results folder); ``records()`` reads them.
    """

    type: JobType
    n_ids: int
    jobs: tuple[ComplianceJob, ...] = ()
    paths: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def job(self) -> ComplianceJob | None:
        """The job (the last one when the IDs were split)."""
        return self.jobs[-1] if self.jobs else None

    @property
    def created_at(self) -> datetime | None:
        """When X's answer was made: the creation time (aware UTC) of the oldest job behind
        the result (of the only job, unless the IDs were split); None without jobs (no IDs).
        It is the "as of" of the results, and what ``max_age`` is judged by.

        Example:
            >>> JobResult(JobType.TWEETS, 0).created_at is None
            True
        """
        return min((job.created_at for job in self.jobs), default=None)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every result record as a dict (blank lines and CRLF are skipped); a line that is
        not a results line raises, naming it (see :mod:`~compliance_frames.client.records`).

        Example:
            >>> JobResult(JobType.TWEETS, 0).records().__next__()
            Traceback (most recent call last):
            StopIteration
        """
        return read_records(self.paths)


def wait(
    client: Client,
    job: ComplianceJob,
    *,
    timeout: float | None,
    progress: bool,
    observer: Observer | None = None,
    after_upload: bool = False,
) -> ComplianceJob:
    """Poll ``job`` until it is complete (see :class:`PollSchedule` for the intervals).

    How long the app's past jobs of the type took for about as many IDs predicts when
    this one finishes (:class:`Forecast`); the time it took is kept for the next.
    ``after_upload``: the IDs reached the job a moment ago, so it is not done yet: the
    first status request comes after the schedule's ``first_check``, not at once."""
    started = clock.now()
    if after_upload:
        clock.sleep(min(client.schedule.first_check, client.schedule.poll_interval))
    n_ids = client.id_count(job.id)
    forecast = client.forecast(job.type, n_ids)
    pending: float | None = None  # when (server time) it was last seen not complete
    bar = wait_bar(f"Waiting for {job.name or job.id}", enabled=progress)
    try:
        with phase("poll until complete"):
            while True:
                job = client.get_job(job.id)
                if observer is not None:
                    observer(job)
                server_now = client.server_now().timestamp()  # job times, rate resets: X's
                if job.status is JobStatus.COMPLETE:
                    if pending is not None and n_ids:
                        _remember(client, job, n_ids, (pending + server_now) / 2)
                    bar.set_postfix_str(f"complete, waited {_duration(clock.now() - started)}")
                    return job
                _raise_if_over(job)
                pending = server_now
                waited = clock.now() - started
                age = max(server_now - job.created_at.timestamp(), waited)
                delay = client.schedule.delay(
                    age,
                    client.rate_state("get"),
                    server_now,
                    forecast=forecast,
                    waited=waited,
                )
                if timeout is not None:
                    if waited >= timeout:
                        raise WaitTimeoutError(
                            f"{job.describe()} is still {job.status.value} after "
                            f"{_duration(waited)}. It goes on at X: wait again later, or run the "
                            "same IDs again to re-attach to it.",
                            job=job,
                            waited=waited,
                        )
                    delay = min(delay, timeout - waited)
                bar.set_postfix_str(
                    f"{job.status.value}, waited {_duration(waited)}, "
                    f"next check in {_duration(delay)}"
                )
                clock.sleep(delay)
    finally:
        close(bar)


def _remember(client: Client, job: ComplianceJob, n_ids: int, done: float) -> None:
    """Keep how long ``job`` took (creation to ``done``, server time) for the forecasts."""
    seconds = done - job.created_at.timestamp()
    if seconds > 0:
        client.history.record(
            job.type.value, job.id, n_ids=n_ids, seconds=seconds, at=client.server_now()
        )


def _raise_if_over(job: ComplianceJob) -> None:
    """Raise for a job that ended without results."""
    if job.status is JobStatus.FAILED:
        raise JobFailedError(
            f"{job.describe()} failed: {(job.error or 'X gave no reason').rstrip('.')}. "
            "Check the IDs (one 1-19 digit ID per line) and run the job again.",
            job=job,
            error=job.error,
        )
    if job.status is JobStatus.EXPIRED:
        raise JobExpiredError(
            f"{job.describe()} expired: no IDs reached it within its upload window "
            "(15 minutes). Create a new job and upload again.",
            job=job,
        )


def run_job(
    client: Client,
    ids: Any,
    job_type: JobType,
    *,
    name: str | None = None,
    resumable: bool = False,
    progress: bool = True,
    max_ids_per_job: int | None = None,
    timeout: float | None = None,
    retry_failed: bool = False,
    observer: Observer | None = None,
    max_age: freshness.MaxAge | freshness.Default = freshness.CLIENT_DEFAULT,
) -> JobResult:
    """See :meth:`Client.run_job`."""
    oldest = (
        client.max_age
        if max_age is freshness.CLIENT_DEFAULT
        else freshness.max_age_seconds(max_age)
    )
    idset = IdSet.coerce(ids)
    try:
        if idset.count == 0:
            return JobResult(job_type, 0)
        cache = client.cache_dir  # checked usable before any call to X
        _ = client.results_dir  # and this one
        deadline = None if timeout is None else clock.now() + timeout
        with (
            guards.deadline(timeout),
            locks.exclusive(
                cache / "locks",
                f"{job_type.value}-{idset.digest}",
                what=f"these {idset.count:,} {job_type.value} IDs",
            ),
        ):
            earlier = _covered(client, idset, job_type, oldest)
            if earlier is not None:
                return earlier
            return _run_parts(
                client,
                idset,
                job_type,
                name=name,
                resumable=resumable,
                progress=progress,
                max_ids_per_job=max_ids_per_job,
                deadline=deadline,
                retry_failed=retry_failed,
                observer=observer,
                max_age=oldest,
            )
    finally:
        if idset is not ids:
            idset.discard()


def _run_parts(
    client: Client,
    idset: IdSet,
    job_type: JobType,
    *,
    name: str | None,
    resumable: bool,
    progress: bool,
    max_ids_per_job: int | None,
    deadline: float | None,
    retry_failed: bool,
    observer: Observer | None,
    max_age: float | None,
) -> JobResult:
    """One job per part of the IDs (one part unless they are too many for one upload)."""
    refusals = 0
    while True:
        parts = idset.split(max_ids_per_job, client.max_upload_bytes)
        try:
            jobs: list[ComplianceJob] = []
            paths: list[Path] = []
            for part in parts:
                part_name = _part_name(name, part, job_type)
                run = _Run(
                    client,
                    part,
                    job_type,
                    part_name,
                    resumable,
                    progress,
                    deadline,
                    retry_failed,
                    observer,
                    max_age,
                )
                job, path = run.execute()
                jobs.append(job)
                paths.append(path)
            return JobResult(job_type, idset.count, tuple(jobs), tuple(paths))
        except UploadTooLargeError as exc:
            refusals += 1  # each refusal costs a job: learn a few times at most
            if refusals > _MAX_NEW_JOBS:
                raise
            _learn_limit(client, exc, max(part.size for part in parts))
        finally:
            for part in parts:
                if part is not idset:
                    part.discard()


def _covered(
    client: Client, ids: IdSet, job_type: JobType, max_age: float | None
) -> JobResult | None:
    """The results of an earlier run that answer for these IDs too: the same IDs plus
    some that X refused (see :mod:`~compliance_frames.client.refusals`), if made less
    than ``max_age`` seconds ago."""
    record = client.ledger.aliased(job_type.value, ids.digest)
    if record is None:
        return None
    try:
        jobs = tuple(ComplianceJob.from_api(job) for job in record["jobs"])
        paths = tuple(Path(path) for path in record["paths"])
    except (KeyError, TypeError, ValueError):
        return None
    now = client.server_now()
    if not all(freshness.fresh(job, now, max_age) for job in jobs):
        return None  # too old: the run finds a fresh job or makes one
    if not all(integrity.cached_state(path) is integrity.Cached.INTACT for path in paths):
        return None  # the runs of the jobs themselves find out which, and download again
    log.info(
        "re-using the results of %s: they answer for these IDs too (the others were refused)",
        ", ".join(job.describe() for job in jobs),
    )
    return JobResult(job_type, ids.count, jobs, paths)


def cover_refused(
    client: Client, ids: IdSet, result: JobResult, refused: npt.NDArray[np.uint64]
) -> None:
    """X refused ``refused`` of ``ids``: record that ``result`` also answers for the IDs
    without them, so that a rerun after dropping those rows needs no new job."""
    digest, count = remaining_digest(ids.path, np.asarray(refused, dtype=np.uint64))
    if count and digest != ids.digest:
        client.ledger.alias(
            result.type.value,
            digest,
            {
                "jobs": [job.to_api() for job in result.jobs],
                "paths": [str(path) for path in result.paths],
                "refused": int(np.asarray(refused).size),
            },
        )


def _learn_limit(client: Client, refusal: UploadTooLargeError, sent: int) -> None:
    """Lower the client's upload limit after X refused ``sent`` bytes (or raise)."""
    limit = refusal.limit if refusal.limit is not None and refusal.limit < sent else sent // 2
    if limit < MIN_UPLOAD_BYTES:
        raise refusal
    limit = client.lower_upload_limit(limit)
    log.warning(
        "X refused an upload of %d bytes as too large; splitting the IDs into uploads of at "
        "most %d bytes from now on",
        sent,
        limit,
    )


def _part_name(name: str | None, part: IdSet, job_type: JobType) -> str:
    if name is None:
        return part.job_name(job_type.value)
    if part.part is None:
        return name
    suffix = f"-p{part.part[0]}of{part.part[1]}"
    return name[: 64 - len(suffix)] + suffix


@dataclass
class _Run:
    """One job's life (one part of the IDs)."""

    client: Client
    ids: IdSet
    job_type: JobType
    name: str
    resumable: bool
    progress: bool
    deadline: float | None
    retry_failed: bool
    observer: Observer | None
    max_age: float | None = None
    created: int = 0

    @property
    def ledger(self) -> Ledger:
        return self.client.ledger

    def execute(self) -> tuple[ComplianceJob, Path]:
        job = self._attach() or self._create()
        while True:
            self._observe(job)
            status = job.status
            if status is JobStatus.COMPLETE:
                path = self._cached(job)
                if path is not None:
                    log.info("results of %s already on disk at %s", job.describe(), path)
                    return job, path
                if self._download_open(job):
                    try:
                        return job, self.client.download_results(job, progress=self.progress)
                    except DownloadURLExpiredError:
                        log.info(
                            "the download URL of %s expired; running the job again", job.describe()
                        )
                job = self._create()
            elif status is JobStatus.CREATED:
                if not job.upload_open(self.client.server_now(), _UPLOAD_MARGIN):
                    self._abandon(job)
                    job = self._create()
                    continue
                try:
                    self.client.upload_ids(job, self.ids, progress=self.progress)
                except UploadURLExpiredError:
                    self._abandon(job)
                    job = self._create()
                    continue
                except UploadTooLargeError:
                    self._abandon(job)
                    raise
                job = self._wait(job, after_upload=True)
            elif status is JobStatus.FAILED:
                raise self._failed(job)
            elif status is JobStatus.EXPIRED:
                job = self._create()
            else:
                try:
                    job = self._wait(job)
                except JobExpiredError:
                    job = self._create()

    def _observe(self, job: ComplianceJob) -> None:
        if self.observer is not None:
            self.observer(job)

    def _remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - clock.now(), 0.0)

    def _wait(self, job: ComplianceJob, after_upload: bool = False) -> ComplianceJob:
        try:
            return wait(
                self.client,
                job,
                timeout=self._remaining(),
                progress=self.progress,
                observer=self.observer,
                after_upload=after_upload,
            )
        except JobFailedError as exc:
            raise self._failed(exc.job or job) from None

    def _failed(self, job: ComplianceJob) -> JobFailedError:
        if self.ledger.cancelled(job.id):
            return JobFailedError(
                f"{job.describe()} was cancelled on this machine while this run waited for it. "
                "Running the same IDs again starts a new job.",
                job=job,
                error=job.error,
            )
        return JobFailedError(
            f"{job.describe()} failed: {(job.error or 'X gave no reason').rstrip('.')}. "
            "Running the same IDs again raises this again.",
            hint=Hint(
                Choice("pass ", Argument("retry_failed", True), " to create a new job instead"),
                Choice(
                    Spelled(None, "to create a new job instead, run the command with another "),
                    Argument("name"),
                ),
            ),
            job=job,
            error=job.error,
        )

    def _stale(self, job: ComplianceJob) -> bool:
        """A job still waiting for IDs long after its creation: whoever made it is not
        uploading any more (a run that crashed or failed), so waiting would be in vain."""
        age = (self.client.server_now() - job.created_at).total_seconds()
        return job.status is JobStatus.CREATED and age > _STALE_AFTER

    def _download_open(self, job: ComplianceJob) -> bool:
        return job.download_open(self.client.server_now(), _DOWNLOAD_MARGIN)

    def _cached(self, job: ComplianceJob) -> Path | None:
        """The job's results on disk, if they still match the record of their download.

        Damaged ones (truncated, edited, without a record) are discarded when they can be
        downloaded again; when they cannot, they are left in place and the run stops:
        replacing them would take a new job, whose results may differ."""
        path = self.client.results_path(job)
        state = integrity.cached_state(path)
        if state is integrity.Cached.INTACT:
            return path
        if state is integrity.Cached.DAMAGED:
            if not self._download_open(job):
                raise ComplianceError(
                    f"The cached results of {job.describe()} at {path} no longer match the "
                    "record made when they were downloaded (truncated, edited, or without a "
                    "record), and its download URL expired at "
                    f"{job.download_expires_at:%Y-%m-%d %H:%M} UTC, so they cannot be downloaded "
                    "again. Delete the file to run "
                    "the IDs as a new job (whose results may differ), or restore it."
                )
            log.warning(
                "the cached results of %s at %s no longer match their record (truncated or "
                "edited?); downloading them again",
                job.describe(),
                path,
            )
            integrity.discard(path)
        return None

    def _abandon(self, job: ComplianceJob) -> None:
        """Cancel a job of ours that will never get its IDs, so that it blocks nothing
        (X's 2026 service counts a job waiting for IDs as active). Best effort: an older
        service without cancel lets it expire by itself."""
        try:
            self.client.cancel_job(job)
        except ComplianceError as exc:
            log.info("could not cancel %s (%s); it will expire", job.describe(), exc)

    def _ours(self, job: ComplianceJob) -> bool:
        """Whether ``job`` was made for these very IDs (by this name, or per the ledger)."""
        if job.name != self.name or self.ledger.cancelled(job.id):
            return False
        return self._default_name or self.ledger.digest(job.id) == self.ids.digest

    @property
    def _default_name(self) -> bool:
        return self.name == self.ids.job_name(self.job_type.value)

    def _attach(self) -> ComplianceJob | None:
        """The job from an earlier run of the same IDs, if one can still be used."""
        jobs = [job for job in self.client.find_jobs(self.name, self.job_type) if self._ours(job)]
        now = self.client.server_now()
        for job in jobs:
            if job.status is not JobStatus.COMPLETE:
                continue
            if not freshness.fresh(job, now, self.max_age):
                log.info(
                    "not re-using %s: created %s ago, longer than max_age (%s)",
                    job.describe(),
                    _duration(freshness.age(job, now)),
                    _duration(self.max_age or 0),
                )
                continue
            if self._download_open(job) or self._cached(job) is not None:
                return self._found(job)
        for job in jobs:
            if job.status is JobStatus.IN_PROGRESS:
                return self._found(job)
        for job in jobs:
            if job.status is JobStatus.CREATED and job.upload_open(now, _UPLOAD_MARGIN):
                return self._found(job)
        if jobs and jobs[0].status is JobStatus.FAILED and not self.retry_failed:
            raise self._failed(jobs[0])
        return None

    def _found(self, job: ComplianceJob) -> ComplianceJob:
        log.info("re-attaching to %s (%s) from an earlier run", job.describe(), job.status.value)
        return job

    def _create(self) -> ComplianceJob:
        if self.created >= _MAX_NEW_JOBS:
            raise ComplianceError(
                f"Gave up after creating {self.created} jobs named {self.name!r} that all expired "
                "before the IDs could be uploaded. Check the network and try again."
            )
        cancelled = vanished = 0
        while True:
            try:
                job = self.client.create_job(self.job_type, self.name, self.resumable)
            except ConflictError as exc:
                blocking = exc.blocking_job
                if blocking is None:
                    # No active job could be found after the 409: the one in the way ended
                    # in between (X lists it complete by now). Try again, a few times.
                    vanished += 1
                    if vanished > _MAX_VANISHED:
                        raise
                    clock.sleep(self.client.policy.backoff_delay(vanished - 1))
                    continue
                if self._ours(blocking):
                    if blocking.status is JobStatus.CREATED and not blocking.upload_open(
                        self.client.server_now(), _UPLOAD_MARGIN
                    ):
                        cancelled += 1
                        if cancelled > _MAX_NEW_JOBS:
                            raise
                        self._abandon(blocking)  # too late to upload to it: make room
                        continue
                    return blocking  # our own job from an earlier run: use it
                if self._stale(blocking) and self.ledger.knows(blocking.id):
                    raise  # a job of this machine left waiting for other IDs: the message says
                if not (blocking.name or "").startswith(NAME_PREFIX):
                    raise
                log.info(
                    "waiting for %s, another compliance-frames job, to finish first "
                    "(X runs one %s job at a time)",
                    blocking.describe(),
                    self.job_type.value,
                )
                with contextlib.suppress(JobFailedError, JobExpiredError):
                    self.client.wait(blocking, self._remaining(), progress=self.progress)
                continue
            self.created += 1
            self.ledger.record(job.id, self.ids.digest, self.ids.count)
            return job


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
