"""``check()`` and ``results()``: the line researchers came for.

Written once on narwhals: the ID column is validated and de-duplicated, the IDs go to
the client's idempotent lifecycle (a tweets job, and with ``user_col`` a users job at
the same time), the results are read with polars, and the flags are joined back to a
new frame of the same kind as the input.

An ID that X refused (answered ``invalid_id``) is treated like a value that is not an
ID: with ``errors="raise"`` an :class:`InvalidIDError` names its rows once the job has
run (its results stay cached); with ``errors="skip"`` its rows get null flags.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..client import Client, IdSet, JobResult
from ..errors import InputError
from ..hints import Argument, Choice, Hint
from ..models import JobType
from ..timing import phase
from . import attach
from .backends import Backend, backend_of
from .backends import quiet_dask as quiet_dask  # (filtering and summaries use it)
from .events import per_id, read_events, read_results, refused
from .ids import check_errors_argument, require_columns

__all__ = ["check", "results"]


def frame_of(df: Any) -> nw.DataFrame[Any] | nw.LazyFrame[Any]:
    """The narwhals view of a user's frame, or a clear error."""
    if isinstance(df, (nw.DataFrame, nw.LazyFrame)):
        return df
    try:
        with quiet_dask():
            frame: nw.DataFrame[Any] | nw.LazyFrame[Any] = nw.from_native(df)
            return frame
    except TypeError:
        raise InputError(
            f"Expected a dataframe (pandas, polars DataFrame or LazyFrame, Dask, DuckDB, ...), "
            f"got {type(df).__name__}."
        ) from None


def job_type_of(value: JobType | str) -> JobType:
    """``type=`` as a :class:`JobType`, or a clear error."""
    try:
        return JobType(value)
    except ValueError:
        raise InputError(f"type must be 'tweets' or 'users', not {value!r}.") from None


@dataclass
class _Plan:
    frame: nw.DataFrame[Any] | nw.LazyFrame[Any]
    backend: Backend
    id_col: str
    user_col: str | None
    job_type: JobType
    layout: attach.Layout
    replace: list[str]


@dataclass
class _Ran:
    """Jobs run for a frame: the client, the ID sets and their results (in order)."""

    client: Client
    jobs: list[tuple[IdSet, JobType]]
    results: list[JobResult]

    def cover(self, index: int, refused: pl.Series) -> None:
        """X refused ``refused`` of the IDs of job ``index``: let its results answer for
        the other IDs alone too, so that dropping the refused rows needs no new job."""
        ids, _ = self.jobs[index]
        self.client.cover_refused(ids, self.results[index], refused.to_numpy())


@contextlib.contextmanager
def _running(
    client: Client | None,
    jobs: list[tuple[IdSet, JobType]],
    progress: bool,
    options: dict[str, Any],
) -> Iterator[_Ran]:
    """Run the jobs (at the same time when there are two: one per type is allowed); their
    ID files are removed on leaving."""
    chosen = client if client is not None else Client()
    try:
        if len(jobs) == 1:
            ids, job_type = jobs[0]
            results = [chosen.run_job(ids, job_type, progress=progress, **options)]
        else:
            handles = [
                chosen.submit(ids, job_type, progress=progress, **options) for ids, job_type in jobs
            ]
            results = [handle.wait() for handle in handles]
        yield _Ran(chosen, jobs, results)
    finally:
        for ids, _ in jobs:
            ids.discard()


def _refusals(
    frame: nw.DataFrame[Any] | nw.LazyFrame[Any],
    backend: Backend,
    tables: list[tuple[pl.DataFrame, str, str]],
    errors: str,
    ran: _Ran,
) -> list[pl.Series]:
    """The keys X refused in each results table (``(results, column, what)``); with
    ``errors="raise"``, an :class:`InvalidIDError` naming the rows of the first refused.
    Results with refusals are first made to answer for the other IDs alone too."""
    refusals = [refused(table) for table, _, _ in tables]
    for index, refusal in enumerate(refusals):
        if refusal.height:
            ran.cover(index, refusal["key"])
    keys = []
    for (_, column, what), refusal in zip(tables, refusals, strict=True):
        if refusal.height and errors == "raise":
            answer = " or ".join(sorted(refusal["error"].unique().to_list()))
            error = backend.refused_error(frame, column, refusal["key"], what, answer)
            if error.count:  # (a refusal that names no row of the frame changes nothing)
                raise error
        keys.append(refusal["key"])
    return keys


def _plan(
    df: Any,
    id_col: str,
    type: JobType | str,
    user_col: str | None,
    prefix: str,
    errors: str,
    overwrite: bool,
) -> _Plan:
    check_errors_argument(errors)
    job_type = job_type_of(type)
    if user_col is not None and job_type is not JobType.TWEETS:
        raise InputError(
            "A column of authors adds a users job to a check of tweets, and this check is of "
            "users.",
            hint=Hint(
                Choice("use ", Argument("type", "tweets")),
                Choice("leave out ", Argument("user_col")),
            ),
        )
    frame, backend, columns = _opened(df, [id_col] + ([user_col] if user_col else []))
    layout = attach.Layout(prefix, users=user_col is not None, nullable=errors == "skip")
    replace = attach.check_clash(columns, layout, overwrite)
    return _Plan(frame, backend, id_col, user_col, job_type, layout, replace)


def _opened(
    df: Any, wanted: list[str]
) -> tuple[nw.DataFrame[Any] | nw.LazyFrame[Any], Backend, list[str]]:
    """The user's frame in narwhals, its backend (the one place it is chosen) and its
    columns, which must include ``wanted``."""
    frame = frame_of(df)
    with quiet_dask():
        columns = frame.collect_schema().names()
    require_columns(columns, wanted)
    return frame, backend_of(frame), columns


def check(
    df: Any,
    id_col: str,
    type: JobType | str = "tweets",
    *,
    user_col: str | None = None,
    client: Client | None = None,
    prefix: str = "compliance_",
    errors: str = "raise",
    progress: bool = True,
    overwrite: bool = False,
    **job_options: Any,
) -> Any:
    """Check a frame's IDs with X and return it with compliance columns added.

    Returns a new frame of the kind given (pandas, polars DataFrame, polars LazyFrame
    that stays lazy, Dask, DuckDB, ...) with the same rows, order and pandas index, plus
    ``{prefix}reason``, ``{prefix}action``, ``{prefix}redacted_at`` (null where no
    event; ``reason`` and ``action`` are X's words) and boolean flags
    ``{prefix}deleted``, ``{prefix}suspended``, ``{prefix}protected``,
    ``{prefix}scrub_geo`` (reason ``scrub_geo`` or ``geo_scrubbed``),
    ``{prefix}deactivated`` and ``{prefix}edited`` (action ``rehydrate``: the post was
    edited, fetch it again to hold its current version), False where no event (see
    :data:`~compliance_frames.frames.events.FLAG_REASONS`). With ``user_col``, a users
    job runs on the author IDs at the same time; flags then cover what happened to the
    tweet or to its author, and ``{prefix}user_reason`` (with ``user_action``,
    ``user_redacted_at``) says what happened to the author.

    IDs may be integers or strings (including categorical and pyarrow types); floats
    are refused. Values that are not IDs raise :class:`InvalidIDError` before any job
    runs, or with ``errors="skip"`` get null flags. IDs that X refuses (it answers
    ``invalid_id``) are treated alike: :class:`InvalidIDError` naming their rows once the
    job has run (its results stay cached, so a second run needs no new job), or null
    flags with ``errors="skip"``. ``job_options`` go to :meth:`Client.run_job`
    (``name``, ``resumable``, ``max_ids_per_job``, ``timeout``, ``retry_failed``).
    When several events concern one ID (older results files), flags are set for each of
    them and ``reason`` is the gravest (see
    :data:`~compliance_frames.frames.events.PRECEDENCE`).

    Example:
        >>> flagged = compliance_frames.check(df, "tweet_id", type="tweets")  # doctest: +SKIP
        >>> flagged[flagged["compliance_deleted"]]  # doctest: +SKIP
    """
    plan = _plan(df, id_col, type, user_col, prefix, errors, overwrite)
    what = "tweet" if plan.job_type is JobType.TWEETS else "user"
    frame, backend = plan.frame, plan.backend
    jobs = [(backend.ids(frame, id_col, errors=errors, what=what), plan.job_type)]
    if user_col is not None:
        try:
            jobs.append((backend.ids(frame, user_col, errors=errors, what="user"), JobType.USERS))
        except BaseException:
            jobs[0][0].discard()  # the author IDs were refused: nothing runs
            raise
    columns = [(id_col, what)] + ([(user_col, "user")] if user_col is not None else [])
    with _running(client, jobs, progress, job_options) as ran:
        with phase("parse results"):  # created_at is not part of the flags: left unparsed
            tables = [read_events(result, created_at=False) for result in ran.results]
        refusals = _refusals(
            frame,
            backend,
            [(table, column, kind) for table, (column, kind) in zip(tables, columns, strict=True)],
            errors,
            ran,
        )
    with phase("join"):
        tweets = per_id(tables[0])
        users = per_id(tables[1]) if user_col is not None else None
        return _attach(plan, tweets, users, refusals)


def _attach(
    plan: _Plan, tweets: pl.DataFrame, users: pl.DataFrame | None, refusals: list[pl.Series]
) -> Any:
    join = attach.Join(
        plan.id_col,
        plan.user_col,
        tweets,
        users,
        plan.layout,
        plan.replace,
        refused=refusals[0],
        refused_users=refusals[1] if len(refusals) > 1 else None,
    )
    return plan.backend.attach(plan.frame, join)


def results(
    df: Any,
    id_col: str,
    type: JobType | str = "tweets",
    *,
    client: Client | None = None,
    errors: str = "raise",
    progress: bool = True,
    **job_options: Any,
) -> Any:
    """The typed results of a frame's IDs: one row per compliance event.

    Columns of :data:`~compliance_frames.frames.events.RESULTS_SCHEMA`: ``id``
    (string), ``action`` and ``reason`` (categorical, X's words), ``created_at`` and
    ``redacted_at`` (UTC datetimes; ``redacted_at`` may be null) and ``error``. IDs
    without an event have no row. IDs that X refused (``invalid_id``) raise
    :class:`InvalidIDError` naming their rows, or with ``errors="skip"`` keep X's record
    (``error`` set, no action or reason). Returned as a polars DataFrame for polars
    input (LazyFrame for LazyFrame), pandas for pandas, and in the input's engine
    otherwise.

    Example:
        >>> events = df.compliance.results("tweet_id")  # doctest: +SKIP
    """
    check_errors_argument(errors)
    job_type = job_type_of(type)
    frame, backend, _ = _opened(df, [id_col])
    what = "tweet" if job_type is JobType.TWEETS else "user"
    jobs = [(backend.ids(frame, id_col, errors=errors, what=what), job_type)]
    with _running(client, jobs, progress, job_options) as ran:
        table = read_results(ran.results[0])
        _refusals(frame, backend, [(table, id_col, what)], errors, ran)
    return backend.results(frame, table)
