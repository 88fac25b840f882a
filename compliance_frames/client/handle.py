"""A handle on a job running in the background (:meth:`Client.submit`).

A notebook can start a job, keep working, and collect the results later, or await them:

    >>> handle = client.submit(ids, "tweets")  # doctest: +SKIP
    >>> handle.status()  # doctest: +SKIP
    <JobStatus.IN_PROGRESS: 'in_progress'>
    >>> result = await handle  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import TYPE_CHECKING, Any

from ..errors import ComplianceError, WaitTimeoutError
from ..hints import Choice, Command, Hint, Spelled
from ..models import ComplianceJob, JobStatus

if TYPE_CHECKING:
    from .client import Client
    from .lifecycle import JobResult


class SeenJobs:
    """The jobs of a run as last seen, in the order they appeared (thread-safe): the
    run's observer (call it with each job it sees) and what its handle reads.

    Example:
        >>> seen = SeenJobs()
        >>> seen.latest() is None
        True
    """

    def __init__(self) -> None:
        self._jobs: dict[str, ComplianceJob] = {}
        self._lock = threading.Lock()

    def __call__(self, job: ComplianceJob) -> None:
        """Record ``job`` (a newer view of a job moves it last)."""
        with self._lock:
            self._jobs.pop(job.id, None)
            self._jobs[job.id] = job

    def latest(self) -> ComplianceJob | None:
        """The job seen last."""
        with self._lock:
            return next(reversed(self._jobs.values()), None)

    def all(self) -> list[ComplianceJob]:
        """Every job seen, in order."""
        with self._lock:
            return list(self._jobs.values())


class JobHandle:
    """The background run of :meth:`Client.run_job`: built by :meth:`Client.submit` with
    the run's future and the jobs it has seen (its observer)."""

    def __init__(self, client: Client, future: Future[JobResult], seen: SeenJobs) -> None:
        self._client = client
        self._future = future
        self._seen = seen

    @property
    def job(self) -> ComplianceJob | None:
        """The job being worked on, as last seen (None until it is found or created)."""
        return self._seen.latest()

    @property
    def jobs(self) -> list[ComplianceJob]:
        """Every job of this run so far (several when the IDs are split)."""
        return self._seen.all()

    def status(self) -> JobStatus | None:
        """The current job's status, asked of the API now (None before there is a job)."""
        job = self.job
        if job is None:
            return None
        fresh = self._client.get_job(job.id)
        self._seen(fresh)
        return fresh.status

    def done(self) -> bool:
        """True once the run has finished (with results or an error)."""
        return self._future.done()

    def wait(self, timeout: float | None = None) -> JobResult:
        """Block until the run finishes (or ``timeout`` seconds); return its result or raise."""
        try:
            return self._future.result(timeout)
        except (TimeoutError, FutureTimeoutError):
            raise WaitTimeoutError(
                f"The job is still running after {timeout} s; it goes on in the background.",
                hint=Hint(Choice("call ", Command("wait", "wait()"), " again later")),
                job=self.job,
                waited=timeout or 0.0,
            ) from None

    def result(self) -> JobResult:
        """The result if the run has finished; raises if it is still running."""
        future = self._future
        if not future.done():
            raise ComplianceError(
                "The job is still running.",
                hint=Hint(
                    Choice("call ", Command("wait", "wait()")),
                    Choice(Spelled("await the handle", None)),
                ),
            )
        return future.result()

    def __await__(self) -> Generator[Any, None, JobResult]:
        return asyncio.wrap_future(self._future).__await__()

    def __repr__(self) -> str:
        job = self.job
        state = "done" if self._future.done() else "running"
        return f"JobHandle({state}, job={job!r})"
