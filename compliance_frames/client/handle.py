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


class JobHandle:
    """The background run of :meth:`Client.run_job`."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._jobs: dict[str, ComplianceJob] = {}
        self._lock = threading.Lock()
        self._future: Future[JobResult] | None = None

    def _observe(self, job: ComplianceJob) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)
            self._jobs[job.id] = job

    def _attach(self, future: Future[JobResult]) -> None:
        self._future = future

    def _get_future(self) -> Future[JobResult]:
        assert self._future is not None
        return self._future

    @property
    def job(self) -> ComplianceJob | None:
        """The job being worked on, as last seen (None until it is found or created)."""
        with self._lock:
            return next(reversed(self._jobs.values()), None)

    @property
    def jobs(self) -> list[ComplianceJob]:
        """Every job of this run so far (several when the IDs are split)."""
        with self._lock:
            return list(self._jobs.values())

    def status(self) -> JobStatus | None:
        """The current job's status, asked of the API now (None before there is a job)."""
        job = self.job
        if job is None:
            return None
        fresh = self._client.get_job(job.id)
        self._observe(fresh)
        return fresh.status

    def done(self) -> bool:
        """True once the run has finished (with results or an error)."""
        return self._get_future().done()

    def wait(self, timeout: float | None = None) -> JobResult:
        """Block until the run finishes (or ``timeout`` seconds); return its result or raise."""
        try:
            return self._get_future().result(timeout)
        except (TimeoutError, FutureTimeoutError):
            raise WaitTimeoutError(
                f"The job is still running after {timeout} s; it goes on in the background.",
                hint=Hint(Choice("call ", Command("wait", "wait()"), " again later")),
                job=self.job,
                waited=timeout or 0.0,
            ) from None

    def result(self) -> JobResult:
        """The result if the run has finished; raises if it is still running."""
        future = self._get_future()
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
        return asyncio.wrap_future(self._get_future()).__await__()

    def __repr__(self) -> str:
        job = self.job
        state = "done" if self._future is not None and self._future.done() else "running"
        return f"JobHandle({state}, job={job!r})"
