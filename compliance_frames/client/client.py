"""The client: every batch compliance endpoint, the uploads and downloads, and waiting.

Example:
    >>> from compliance_frames.emulator import Emulator
    >>> with Emulator(processing_seconds=0) as emu:
    ...     client = Client(emu.bearer_token, emu.base_url)
    ...     job = client.create_job("tweets", name="example")
    ...     client.upload_ids(job, [1265324480517361664, 906972198136631298])
    ...     client.wait(job).status.value
    2
    'complete'
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import (
    APIError,
    ComplianceWarning,
    ConfigurationError,
    ConflictError,
    DownloadError,
    InputError,
    InvalidRequestError,
    JobNotFoundError,
    NetworkError,
    ServerError,
    UploadError,
    UploadTooLargeError,
    UploadURLExpiredError,
)
from ..files import cache_dir, usable_folder
from ..hints import Argument, Choice, Command, Hint, Spelled
from ..models import ComplianceJob, JobStatus, JobType, is_job_id, shown
from . import clock, freshness, integrity, lifecycle
from .downloads import download_file
from .guards import TransferLimits
from .handle import JobHandle, SeenJobs
from .history import JobHistory, app_key
from .idsets import MIN_UPLOAD_BYTES, IdSet
from .ledger import Ledger
from .polling import Forecast, PollSchedule, RateState
from .problems import api_error, json_body, masked, not_found_in_body
from .retry import AmbiguousRequest, Retry, RetryPolicy
from .servertime import skew_from_date
from .sessions import SessionStore
from .transport import (
    HTTPTransport,
    Transport,
    check_transfer_url,
    resolve_base_url,
    resolve_token,
)
from .uploads import upload_file

log = logging.getLogger("compliance_frames")

JOBS = "/2/compliance/jobs"
DEFAULT_MAX_UPLOAD_BYTES = 128 * 1024 * 1024
"""X's limit per upload in the 2026 flow: 128 MiB (134,217,728 bytes), about 6.7 million
19-digit IDs."""
JOB_FIELDS = (
    "created_at,download_expires_at,download_url,id,name,resumable,status,type,"
    "upload_expires_at,upload_url"
)
"""Every job field the client relies on, asked for on each call (``compliance_job.fields``):
whether answers without the parameter still carry them all is not documented."""
_FIELDS = {"compliance_job.fields": JOB_FIELDS}
_SERVER_STATUSES = frozenset({"created", "in_progress", "failed", "complete"})
_RECOVERY_WINDOW = timedelta(minutes=2)

JobRef = ComplianceJob | str
IDs = str | os.PathLike[str] | BinaryIO | Iterable[Any] | IdSet


class Client:
    """A client of the X API v2 batch compliance endpoints.

    Args:
        bearer_token: the app's bearer token; default ``$BEARER_TOKEN``. It never
            appears in a repr, a log line, an exception or a progress bar, is never
            sent to any origin but the API's own (the byte-path transfer URLs are on it;
            a storage host's signed URLs are not), and is refused over plain http
            except to loopback. One that cannot be sent as a header (a line break, a
            character outside Latin-1) is a :class:`ConfigurationError` here and now;
            a server that echoes it back has it masked (``***``) in every message.
        base_url: the API root; default ``$X_API_BASE_URL``, else ``https://api.x.com``.
        poll_interval: the first wait between status checks, in seconds.
        max_poll_interval: the longest wait between status checks.
        timeout: seconds to wait for the server on each request.
        max_retries: retries for 429, 5xx and dropped connections.
        backoff: first backoff in seconds (doubles each retry, with jitter).
        results_dir: the folder where downloaded results are kept (``<job id>.ndjson``);
            :attr:`results_dir` is this folder. Default: ``results`` in the cache folder.
        cache_dir: the folder of the client's records (``jobs/``: the IDs of each job;
            ``sessions/``: resumable uploads; ``locks/``) and, unless ``results_dir``
            says otherwise, of the results (``results/``). Default: ``results_dir`` when
            given (where earlier versions kept these records), else
            ``$COMPLIANCE_FRAMES_CACHE`` or ``~/.cache/compliance-frames``.
        transport: what sends the requests (see
            :class:`~compliance_frames.client.transport.Transport`); default an
            :class:`~compliance_frames.client.transport.HTTPTransport` to ``base_url``
            with ``bearer_token`` and ``timeout``. A client given one needs no token
            (the transport holds any credential); ``base_url`` is the transport's.
        max_upload_bytes: the most bytes sent in one upload (X's limit: 128 MiB, about
            6.5 million IDs). :meth:`run_job` splits larger sets of IDs into as many
            jobs as needed, and lowers this when X answers an upload with 413.
        stall_timeout, stall_bytes: an upload or download that moves fewer than
            ``stall_bytes`` bytes in ``stall_timeout`` seconds (or nothing at all) is
            given up on: a download resumes where it stopped, ``max_retries`` times.
        max_age: how old (seconds or a :class:`~datetime.timedelta`) the answer of an
            earlier job may be for :meth:`run_job` to use it again (found by name, or in
            the cache); an older one makes a new job. Default 24 hours; ``None``: any
            age; ``0``: always a new job. ``run_job(max_age=...)`` overrides it (see
            :mod:`~compliance_frames.client.freshness`).

    Runs that share a results folder take a lock per set of IDs, so that processes and
    threads of this machine running the same IDs wait for one job instead of creating
    several (see :mod:`~compliance_frames.client.locks`). Windows of time (upload and
    download URLs, rate windows) are judged by the server's clock (:meth:`server_now`).

    Example:
        >>> client = Client("token", "http://127.0.0.1:8099")
        >>> client
        Client(base_url='http://127.0.0.1:8099', bearer_token='***')
    """

    def __init__(
        self,
        bearer_token: str | None = None,
        base_url: str | None = None,
        *,
        poll_interval: float = 5.0,
        max_poll_interval: float = 120.0,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        results_dir: str | os.PathLike[str] | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        stall_timeout: float = 60.0,
        stall_bytes: int = 1024,
        cache_dir: str | os.PathLike[str] | None = None,
        transport: Transport | None = None,
        max_age: freshness.MaxAge = freshness.DEFAULT_MAX_AGE,
    ) -> None:
        self.max_age: float | None = freshness.max_age_seconds(max_age, error=ConfigurationError)
        """The default ``max_age`` of :meth:`run_job`, in seconds (None: any age)."""
        if not isinstance(max_upload_bytes, int) or max_upload_bytes < MIN_UPLOAD_BYTES:
            raise ConfigurationError(
                f"max_upload_bytes must be a whole number of bytes, at least {MIN_UPLOAD_BYTES} "
                f"(one 19-digit ID and its newline); got {max_upload_bytes!r}."
            )
        self.max_upload_bytes = max_upload_bytes
        self.policy = RetryPolicy(max_retries=max_retries, backoff=backoff)
        self.schedule = PollSchedule(
            poll_interval=poll_interval, max_poll_interval=max_poll_interval
        )
        self.transport: Transport
        if transport is None:
            self.base_url = resolve_base_url(base_url)
            token = resolve_token(bearer_token)
            self.transport = HTTPTransport(self.base_url, token, timeout=timeout)
            self._app = app_key(self.base_url, token.reveal())
        else:
            self.base_url = _transport_base_url(transport, base_url)
            self.transport = transport
            self._app = app_key(self.base_url, None)
        self._uploaded: dict[str, int] = {}
        self._results_dir = None if results_dir is None else Path(results_dir)
        self._cache_dir = None if cache_dir is None else Path(cache_dir)
        self._rates: dict[str, RateState] = {}
        self._lock = threading.Lock()
        self._resumable_refused = False
        self.transfer_limits = TransferLimits(stall_timeout=stall_timeout, stall_bytes=stall_bytes)
        self._skew = 0.0

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, bearer_token='***')"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release connections."""
        self.transport.close()

    @property
    def cache_dir(self) -> Path:
        """The folder of this client's records (jobs, sessions, locks), checked usable.

        Example:
            >>> import tempfile, pathlib
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> Client("token", "http://127.0.0.1:8099", results_dir=folder).cache_dir == folder
            True
        """
        return cache_dir(self._cache_dir if self._cache_dir is not None else self._results_dir)

    @property
    def results_dir(self) -> Path:
        """The folder results are downloaded to: ``results_dir`` as given, else ``results``
        in :attr:`cache_dir`.

        Example:
            >>> import tempfile, pathlib
            >>> folder = pathlib.Path(tempfile.mkdtemp()) / "my-results"
            >>> Client("token", "http://127.0.0.1:8099", results_dir=folder).results_dir == folder
            True
        """
        if self._results_dir is None:
            return self.cache_dir / "results"
        return usable_folder(self._results_dir)

    def lower_upload_limit(self, limit: int) -> int:
        """Lower ``max_upload_bytes`` to ``limit`` (never raise it; thread-safe); return it."""
        with self._lock:
            self.max_upload_bytes = max(min(self.max_upload_bytes, limit), MIN_UPLOAD_BYTES)
            return self.max_upload_bytes

    @property
    def ledger(self) -> Ledger:
        """What this machine knows of its jobs: the IDs each holds, which it cancelled."""
        return Ledger(self.cache_dir / "jobs")

    @property
    def history(self) -> JobHistory:
        """How long this app's past jobs took (see
        :mod:`~compliance_frames.client.history`): what polling predicts new ones by."""
        return JobHistory(self.cache_dir / "history", self._app)

    def forecast(self, type: JobType | str, n_ids: int | None) -> Forecast | None:
        """When a job of ``n_ids`` IDs of this type is predicted to finish (seconds after
        its creation), from :attr:`history`; None without alike past jobs.

        Example:
            >>> client.forecast("tweets", 250_000)  # doctest: +SKIP
            Forecast(finish=21480.0, spread=0.05)
        """
        if not n_ids:
            return None
        job_type = _job_type(type).value
        return Forecast.from_history(self.history.past(job_type), n_ids)

    def id_count(self, job_id: str) -> int | None:
        """How many IDs ``job_id`` holds, if this client uploaded them or this machine's
        ledger recorded them."""
        with self._lock:
            count = self._uploaded.get(job_id)
        return count if count is not None else self.ledger.count(job_id)

    def results_path(self, job: ComplianceJob) -> Path:
        """Where the results of ``job`` are (or will be) kept: in :attr:`results_dir`.

        Results that an earlier version kept in ``results/`` under a folder given as
        ``results_dir`` are moved here (with their record) the first time they are asked
        for, so that a cache made then goes on being used.
        """
        path = self.results_dir / f"{job.id}.ndjson"
        legacy = self.cache_dir / "results" / path.name
        if legacy != path and not path.exists() and legacy.exists():
            integrity.move(legacy, path)
            log.info("moved the cached results of %s to %s", job.describe(), path)
        return path

    def server_now(self) -> datetime:
        """The time by the server's clock (aware UTC): this machine's, corrected by the
        skew the API's last ``Date`` header showed (see
        :mod:`~compliance_frames.client.servertime`).

        Example:
            >>> Client("token", "http://127.0.0.1:8099").server_now().tzinfo
            datetime.timezone.utc
        """
        return clock.utcnow() + timedelta(seconds=self._skew)

    def rate_state(self, endpoint: str) -> RateState | None:
        """The rate window of ``create``, ``list``, ``get`` or ``cancel`` as last seen."""
        with self._lock:
            return self._rates.get(endpoint)

    # -- the API ---------------------------------------------------------------------------

    def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        context: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> Any:
        response = self.policy.call(
            lambda: self.transport.api(method, path, params=params, json=json),
            what=f"{method} {path}",
            idempotent=idempotent,
        )
        skew = skew_from_date(response.headers.get("Date"), clock.now())
        if skew is not None:
            self._skew = skew  # the latest answer's (a float: written atomically)
        rate = RateState.from_headers(response.headers, now=self.server_now().timestamp())
        if rate is not None:
            with self._lock:
                self._rates[endpoint] = rate
        if response.status_code != 200:
            raise api_error(response, context, mask=self.transport.mask)
        body = json_body(response)
        if not isinstance(body, dict):
            raise ServerError(
                f"X answered {context} with something that is not JSON. Try again later."
            )
        return body

    def create_job(
        self, type: JobType | str, name: str | None = None, resumable: bool = False
    ) -> ComplianceJob:
        """Create a job (``POST /2/compliance/jobs``).

        If the answer is lost (a dropped connection, a 5xx), the job may exist anyway:
        the client looks for it before creating another, so a retry never makes two.
        ``resumable=True`` asks for a resumable upload URL (the older storage-host
        flow); a server that refuses it (the 2026 flow has no resumable mode) gets the
        job created without it, with a warning, once per client.

        Example:
            >>> job = client.create_job("tweets", name="my-dataset")  # doctest: +SKIP
        """
        job_type = _job_type(type)
        if name is not None and len(name) > 64:
            raise InputError(f"A job name has at most 64 characters; {name!r} has {len(name)}.")
        body: dict[str, Any] = {"type": job_type.value}
        if name is not None:
            body["name"] = name
        if resumable and not self._resumable_refused:
            body["resumable"] = True
        context = f"creating a {job_type.value} job"
        # Jobs that already wait for IDs under this name: a lost answer is never one of them.
        known = {job.id for job in self._waiting_for_ids(job_type, name)}
        started = self.server_now()

        def attempt(retries: int) -> ComplianceJob:
            while True:
                try:
                    data = self._call(
                        "create", "POST", JOBS, context, json=body, params=_FIELDS, idempotent=False
                    )
                except InvalidRequestError as exc:
                    if not (body.get("resumable") and _names_resumable(exc)):
                        raise
                    del body["resumable"]
                    self._refuse_resumable()
                    continue
                except AmbiguousRequest as exc:
                    found = self._find_created(job_type, name, started, known)
                    if found is None:
                        raise Retry(exc.reason) from None
                    log.info(
                        "the answer to creating %s was lost; found the job it made",
                        found.describe(),
                    )
                    return found
                except ConflictError as exc:
                    raise self._explain_conflict(exc, job_type) from None
                return self._created(data, job_type, context)

        def give_up(retry: Retry, attempts: int) -> ComplianceJob:
            raise NetworkError(
                f"Creating a {job_type.value} job kept failing ({retry.reason}). Try again later."
            ) from None

        return self.policy.run(attempt, what=context, give_up=give_up)

    def _created(self, data: dict[str, Any], job_type: JobType, context: str) -> ComplianceJob:
        """The job of an answer to creating one, checked to be of the type asked for."""
        job = self._job_in(data, context)
        if job.type is not job_type:
            raise ServerError(
                f"X answered {context} with {job.describe()}, of another type. The fault is "
                "on X's side.",
                hint=Hint(
                    Choice(
                        "look at your jobs (",
                        Command(
                            "list", f"list_jobs('{job_type.value}')", f"--type {job_type.value}"
                        ),
                        ") before trying again",
                    )
                ),
            )
        log.info("created %s", job.describe())
        return job

    def _refuse_resumable(self) -> None:
        with self._lock:
            if self._resumable_refused:
                return
            self._resumable_refused = True
        warnings.warn(
            ComplianceWarning(
                "X refused a resumable upload (its 2026 service has no resumable uploads): jobs "
                "are created without it, and the IDs go in one plain upload per job.",
                hint=Hint(Choice("leave out ", Argument("resumable", True), " to not see this")),
            ),
            stacklevel=5,  # the user's call of create_job (through the retry loop)
        )

    def _waiting_for_ids(self, job_type: JobType, name: str | None) -> list[ComplianceJob]:
        """The jobs of a type and name (or unnamed) still waiting for their IDs."""
        return [job for job in self.list_jobs(job_type, JobStatus.CREATED) if job.name == name]

    def _find_created(
        self, job_type: JobType, name: str | None, since: Any, known: set[str]
    ) -> ComplianceJob | None:
        """A job this client may just have created (its answer lost): one that was not
        there before the first attempt, created since (with room for clock skew)."""
        candidates = [
            job
            for job in self._waiting_for_ids(job_type, name)
            if job.id not in known and job.created_at >= since - _RECOVERY_WINDOW
        ]
        return candidates[0] if candidates else None

    def _explain_conflict(self, exc: ConflictError, job_type: JobType) -> ConflictError:
        """The conflict with the job that blocks, and what to do about it."""
        jobs = self.list_jobs(job_type)
        running = [job for job in jobs if job.status is JobStatus.IN_PROGRESS]
        waiting = [
            job
            for job in jobs
            if job.status is JobStatus.CREATED and job.upload_open(self.server_now())
        ]
        candidates = running + waiting
        blocking = candidates[0] if candidates else None
        other = "users" if job_type is JobType.TWEETS else "tweets"
        if blocking is None:
            which, state = "another job", "in progress"
        else:
            which = blocking.describe()
            state = (
                "in progress"
                if blocking.status is JobStatus.IN_PROGRESS
                else (f"waiting for its IDs until {blocking.upload_expires_at:%H:%M:%S} UTC")
            )
        message = (
            f"Cannot create a {job_type.value} job: {which} is {state}, and X allows one active "
            f"{job_type.value} job at a time (a {other} job can run meanwhile)."
        )
        if blocking is None:
            hint = Hint("wait for it to finish, then try again")
        else:
            wait = Command("get", f"Client().wait('{blocking.id}')", blocking.id)
            if self.ledger.knows(blocking.id):
                message += " It is one of yours, from this machine."
                hint = Hint(
                    Choice("wait for it (", wait, ")"),
                    Choice(
                        "cancel it to start another now with ",
                        Command("cancel", f"Client().cancel_job('{blocking.id}')", blocking.id),
                    ),
                )
            else:
                hint = Hint(Choice("wait for it (", wait, "), then try again"))
        return ConflictError(
            message,
            hint=hint,
            blocking_job=blocking,
            status=exc.status,
            problem_type=exc.problem_type,
            title=exc.title,
            detail=exc.detail,
            body=exc.body,
        )

    def get_job(self, id: JobRef) -> ComplianceJob:
        """One job by id (``GET /2/compliance/jobs/:id``).

        Example:
            >>> client.get_job("1446017776678801409").status  # doctest: +SKIP
            <JobStatus.COMPLETE: 'complete'>
        """
        job_id = _job_id(id)
        body = self._call("get", "GET", f"{JOBS}/{job_id}", f"getting job {job_id}", params=_FIELDS)
        if not_found_in_body(body):
            raise JobNotFoundError(
                f"No compliance job with id {job_id}.",
                hint=Hint(Choice("list your jobs with ", Command("list", "Client().list_jobs()"))),
                job_id=job_id,
                status=200,
                body=masked(body, self.transport.mask),
            )
        job = self._job_in(body, f"getting job {job_id}")
        if job.id != job_id:
            raise ServerError(
                f"X answered getting job {job_id} with another job, {job.describe()}. The "
                "fault is on X's side (or a proxy's): try again later."
            )
        return job

    def list_jobs(
        self, type: JobType | str | None = None, status: JobStatus | str | None = None
    ) -> list[ComplianceJob]:
        """Jobs of one type, or of both when ``type`` is None; newest first.

        ``status`` may be any status, ``expired`` included (filtered here, since the
        API does not accept it).

        Example:
            >>> [job.name for job in client.list_jobs(status="complete")]  # doctest: +SKIP
            ['my-dataset']
        """
        types = [_job_type(type)] if type is not None else list(JobType)
        wanted = JobStatus(status) if status is not None else None
        jobs: list[ComplianceJob] = []
        for job_type in types:
            params = {"type": job_type.value, **_FIELDS}
            if wanted is not None and wanted.value in _SERVER_STATUSES:
                params["status"] = wanted.value
            context = f"listing {job_type.value} jobs"
            body = self._call("list", "GET", JOBS, context, params=params)
            jobs.extend(self._jobs_in(body, job_type, context))
        if wanted is not None:
            jobs = [job for job in jobs if job.status is wanted]
        return sorted(jobs, key=lambda job: (job.created_at, int(job.id)), reverse=True)

    def find_jobs(self, name: str, type: JobType | str | None = None) -> list[ComplianceJob]:
        """Jobs with exactly this name (of one type or both), newest first.

        Names need not be unique: look at the statuses to choose.
        """
        return [job for job in self.list_jobs(type) if job.name == name]

    def cancel_job(self, job: JobRef) -> ComplianceJob:
        """Cancel a job that has not finished (``DELETE /2/compliance/jobs/:id``).

        X marks it ``failed``, and another job of its type can be created at once.
        Returns the failed job. A job that has already finished (complete, failed or
        expired) cannot be cancelled: :class:`InvalidRequestError` says so. Running
        the same IDs again after a cancel starts a new job.

        Example:
            >>> client.cancel_job("1446017776678801409").status  # doctest: +SKIP
            <JobStatus.FAILED: 'failed'>
        """
        current = self.get_job(job)  # a finished job is refused here, with no DELETE
        if current.status.is_terminal:
            raise InvalidRequestError(
                f"Cannot cancel {current.describe()}: it has already finished "
                f"({current.status.value}). Only a job that is created or in progress can be "
                "cancelled."
            )
        context = f"cancelling {current.describe()}"
        path = f"{JOBS}/{current.id}"
        try:
            body = self._call("cancel", "DELETE", path, context, params=_FIELDS)
        except (ConflictError, InvalidRequestError):
            # Unfinished a moment ago, refused now: an earlier attempt whose answer was lost
            # cancelled it (it is failed), or it finished meanwhile (said as such).
            body = {"data": self.get_job(current).to_api()}
            if body["data"]["status"] != JobStatus.FAILED.value:
                raise
        except APIError as exc:
            if exc.status not in (404, 405):
                raise
            raise InvalidRequestError(
                f"X's service here does not offer cancelling jobs (DELETE answered {exc.status}): "
                f"{current.describe()} goes on; a job that is never uploaded expires 15 "
                "minutes after its creation.",
                status=exc.status,
                problem_type=exc.problem_type,
                title=exc.title,
                detail=exc.detail,
                body=exc.body,
            ) from None
        cancelled = self._job_in(body, context)
        if cancelled.id != current.id:
            raise ServerError(
                f"X answered {context} with another job, {cancelled.describe()}. The fault is "
                "on X's side.",
                hint=Hint(
                    Choice(
                        f"check {current.describe()} with ",
                        Command("get", f"get_job('{current.id}')", current.id),
                    )
                ),
            )
        self.ledger.mark_cancelled(cancelled.id)
        log.info("cancelled %s (now %s)", cancelled.describe(), cancelled.status.value)
        return cancelled

    # -- what X says of jobs, checked ----------------------------------------------------------

    def _parse_job(self, data: Any, context: str) -> ComplianceJob:
        """A job object from X, checked: the bearer token masked in it, parsed by
        :meth:`ComplianceJob.from_api`, its URLs checked (:func:`check_transfer_url`).
        Anything wrong raises :class:`ServerError` saying what came."""
        job = ComplianceJob.from_api(masked(data, self.transport.mask), context=context)
        for url, which in ((job.upload_url, "upload URL"), (job.download_url, "download URL")):
            check_transfer_url(url, self.base_url, f"{job.describe()} with the {which}")
        return job

    def _job_in(self, body: dict[str, Any], context: str) -> ComplianceJob:
        """The job of an answer, or a :class:`ServerError` saying what came instead."""
        data = body.get("data")
        if not isinstance(data, dict):
            came = shown(masked(body.get("errors") or body, self.transport.mask))
            raise ServerError(
                f"X answered {context} without a job: {came}. Try again later; if it persists, "
                "check https://api.x.com status and your app's access."
            )
        return self._parse_job(data, context)

    def _jobs_in(
        self, body: dict[str, Any], job_type: JobType, context: str
    ) -> list[ComplianceJob]:
        """The jobs of a list answer. One that cannot be used (someone else's, written by a
        version of X this client does not know) is skipped with a warning, not fatal."""
        items = body.get("data") or []
        if not isinstance(items, list):
            raise ServerError(
                f"X answered {context} with {shown(masked(items, self.transport.mask))} where "
                "a list of jobs belongs. Try again later."
            )
        jobs = []
        for item in items:
            try:
                job = self._parse_job(item, context)
            except ServerError as exc:
                log.warning("skipped a job that cannot be used: %s", exc)
                continue
            if job.type is not job_type:
                log.warning("skipped %s: X listed it among the %s jobs", job.describe(), job_type)
                continue
            jobs.append(job)
        return jobs

    def cover_refused(self, ids: IdSet, result: lifecycle.JobResult, refused: Any) -> None:
        """Record that ``result`` (the run of ``ids``) also answers for ``ids`` without the
        ``refused`` ones (X answered them ``invalid_id``): a run of those IDs re-uses it,
        with no new job. ``refused``: the refused IDs, an array of unsigned integers.

        Example:
            >>> client.cover_refused(ids, result, refused_keys)  # doctest: +SKIP
        """
        lifecycle.cover_refused(self, ids, result, refused)

    # -- uploads, downloads, waiting ---------------------------------------------------------

    def upload_ids(self, job: JobRef, source: IDs, *, progress: bool = False) -> int:
        """Upload IDs to a job that is waiting for them; return how many were uploaded.

        ``source``: a path or binary file of one ID per line, an iterable of IDs (ints
        or digit strings), or an :class:`IdSet`. IDs are validated, de-duplicated and
        sorted; invalid ones raise :class:`InvalidIDError` before anything is sent.
        The upload is streamed, plain or resumable as the job was created. A set of
        IDs larger than ``max_upload_bytes`` is refused before anything is sent
        (:class:`UploadTooLargeError`): :meth:`run_job` splits it into several jobs.

        Example:
            >>> client.upload_ids(job, "tweet_ids.txt")  # doctest: +SKIP
            125000
        """
        ids = IdSet.coerce(source)
        try:
            if ids.size > self.max_upload_bytes:
                raise UploadTooLargeError(
                    f"{ids.count:,} IDs make {ids.size:,} bytes, over the "
                    f"{self.max_upload_bytes:,} bytes X takes in one upload.",
                    hint=Hint(
                        Choice(
                            "split them over several jobs: ",
                            Command("all", "run_job()"),
                            Spelled(" (or `df.compliance.check()`)", ""),
                            " does it by itself",
                        )
                    ),
                    limit=self.max_upload_bytes,
                )
            current = self.get_job(job)  # its state now, not as last seen
            if current.status is JobStatus.EXPIRED or not current.upload_open(self.server_now()):
                raise UploadURLExpiredError(
                    f"The upload URL of {current.describe()} expired at "
                    f"{current.upload_expires_at:%Y-%m-%d %H:%M:%S} UTC (X gives 15 minutes "
                    "after creation). Create a new job and upload again."
                )
            if current.status is not JobStatus.CREATED:
                raise UploadError(
                    f"{current.describe()} is {current.status.value}: it takes IDs only while "
                    "'created'. Create a new job for these IDs."
                )
            sessions = SessionStore(self.cache_dir / "sessions")
            try:
                upload_file(
                    self.transport,
                    current,
                    ids.path,
                    progress=progress,
                    sessions=sessions,
                    limits=self.transfer_limits,
                    span=(ids.offset, ids.size),
                    policy=self.policy,
                )
            except UploadError as exc:
                if exc.status != 409:
                    raise
                # Refused as no longer waiting for IDs: an earlier attempt whose answer was
                # lost may have delivered them. The job's status says.
                after = self.get_job(current)
                if after.status in (JobStatus.CREATED, JobStatus.FAILED, JobStatus.EXPIRED):
                    raise
                log.info("the IDs reached %s (its answer was lost)", after.describe())
            with self._lock:
                self._uploaded[current.id] = ids.count
            return ids.count
        finally:
            if ids is not source:
                ids.discard()

    def download_results(
        self, job: JobRef, dest: str | os.PathLike[str] | None = None, *, progress: bool = False
    ) -> Path:
        """Download a complete job's results (NDJSON) to ``dest``, atomically.

        ``dest`` defaults to :meth:`results_path`. Returns the path written.

        Example:
            >>> client.download_results(job, "results.ndjson")  # doctest: +SKIP
            PosixPath('results.ndjson')
        """
        current = job if isinstance(job, ComplianceJob) else self.get_job(job)
        if current.status is not JobStatus.COMPLETE:
            current = self.get_job(current)
        if current.status is not JobStatus.COMPLETE:
            raise DownloadError(
                f"{current.describe()} is {current.status.value}, not complete: its results are "
                "not ready.",
                hint=Hint(
                    Choice(
                        "wait for it first with ",
                        Command(
                            "download", "wait()", f"--id {current.id} --results-file RESULTS.ndjson"
                        ),
                    )
                ),
            )
        target = Path(dest) if dest is not None else self.results_path(current)
        return download_file(
            self.transport,
            current,
            target,
            progress=progress,
            limits=self.transfer_limits,
            record=target == self.results_path(current),  # the cache keeps a record
            policy=self.policy,
        )

    def wait(
        self,
        job: JobRef,
        timeout: float | None = None,
        *,
        progress: bool = False,
        observer: Callable[[ComplianceJob], None] | None = None,
    ) -> ComplianceJob:
        """Poll until the job is complete; return it.

        Raises :class:`JobFailedError` or :class:`JobExpiredError` if it ends otherwise,
        :class:`WaitTimeoutError` if ``timeout`` seconds pass first (the job goes on).

        Example:
            >>> client.wait(job, timeout=3600).status  # doctest: +SKIP
            <JobStatus.COMPLETE: 'complete'>
        """
        current = job if isinstance(job, ComplianceJob) else self.get_job(job)
        return lifecycle.wait(self, current, timeout=timeout, progress=progress, observer=observer)

    # -- the whole lifecycle -------------------------------------------------------------------

    def run_job(
        self,
        ids: IDs,
        type: JobType | str,
        *,
        name: str | None = None,
        resumable: bool = False,
        progress: bool = True,
        max_ids_per_job: int | None = None,
        timeout: float | None = None,
        retry_failed: bool = False,
        max_age: freshness.MaxAge | freshness.Default = freshness.CLIENT_DEFAULT,
    ) -> lifecycle.JobResult:
        """Create, upload, wait and download, idempotently; return the results files.

        The default job name is derived from the type and the sorted unique IDs, so
        running the same IDs again (after a crash, a kernel restart, an interrupted
        wait) re-attaches to the same job instead of creating another: it waits if
        the job is in progress and downloads if it is complete. An expired job or
        upload URL means a new job; a failed job raises (``retry_failed=True`` makes a
        new one), unless this machine cancelled it. IDs over ``max_upload_bytes`` (or
        ``max_ids_per_job``) are split into several jobs, run one after the other and
        returned as one result.

        An earlier job's answer is used again only if the job was created less than
        ``max_age`` ago (seconds or a timedelta; default: the client's, 24 hours; None:
        any age; 0: always a new job); an older one makes a new job of the same name.
        ``result.created_at`` says when X's answer was made.

        Example:
            >>> result = client.run_job([1265324480517361664], "tweets")  # doctest: +SKIP
            >>> [record["reason"] for record in result.records()]  # doctest: +SKIP
            ['deleted']
        """
        return lifecycle.run_job(
            self,
            ids,
            _job_type(type),
            name=name,
            resumable=resumable,
            progress=progress,
            max_ids_per_job=max_ids_per_job,
            timeout=timeout,
            retry_failed=retry_failed,
            max_age=max_age,
        )

    def submit(
        self,
        ids: IDs,
        type: JobType | str,
        **options: Any,
    ) -> JobHandle:
        """Start :meth:`run_job` in the background and return a handle to it at once.

        The handle has ``.job`` (the current job), ``.status()``, ``.done()``,
        ``.wait(timeout)``, ``.result()``, and can be awaited. ``options`` are
        :meth:`run_job`'s (``max_age`` included).

        Example:
            >>> handle = client.submit(ids, "tweets", progress=False)  # doctest: +SKIP
            >>> result = await handle  # doctest: +SKIP
        """
        job_type = _job_type(type)
        # Mistakes show here and now, not at .wait(): options, then the IDs themselves.
        inspect.signature(lifecycle.run_job).bind(self, ids, job_type, **options)
        if options.get("max_age", freshness.CLIENT_DEFAULT) is not freshness.CLIENT_DEFAULT:
            freshness.max_age_seconds(options["max_age"])
        idset = IdSet.coerce(ids)
        future: Future[lifecycle.JobResult] = Future()
        seen = SeenJobs()

        def run() -> None:
            try:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    result = lifecycle.run_job(self, idset, job_type, observer=seen, **options)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            finally:
                if idset is not ids:
                    idset.discard()

        # A daemon thread: a job of hours must not keep the interpreter from exiting (or
        # Ctrl+C from working); X goes on with the job, and a rerun re-attaches to it.
        threading.Thread(target=run, name="compliance-job", daemon=True).start()
        return JobHandle(self, future, seen)


def _transport_base_url(transport: Transport, base_url: str | None) -> str:
    """The API root of a client given ``transport``: the transport's (``base_url``, if
    given, must name the same)."""
    own = resolve_base_url(transport.base_url)
    if base_url is not None and resolve_base_url(base_url) != own:
        raise ConfigurationError(
            f"base_url {base_url!r} is not the transport's ({own!r}): a client given a "
            "transport talks to the transport's API. Leave base_url out, or give the "
            "transport this base URL."
        )
    return own


def _names_resumable(refusal: InvalidRequestError) -> bool:
    """Whether a 400 refuses the ``resumable`` parameter (and not something else)."""
    said = [refusal.detail or "", *(str(error) for error in refusal.errors)]
    return any("resumable" in text for text in said)


def _job_id(job: JobRef) -> str:
    """The id of a job or of a job id, checked."""
    job_id = job.id if isinstance(job, ComplianceJob) else str(job).strip()
    if not is_job_id(job_id):
        raise JobNotFoundError(
            f"{job_id!r} is not a job id (1-19 digits).",
            hint=Hint(
                Choice("find your jobs with ", Command("list", "list_jobs()")),
                Choice("by name with ", Command("list", "find_jobs(name)", "--name NAME")),
            ),
            job_id=job_id,
        )
    return job_id


def _job_type(value: JobType | str) -> JobType:
    try:
        return JobType(value)
    except ValueError:
        raise InputError(f"Unknown job type {value!r}: use 'tweets' or 'users'.") from None
