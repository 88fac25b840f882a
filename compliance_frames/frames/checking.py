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
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .. import audit
from ..client import Client, IdSet, JobResult
from ..errors import InputError
from ..hints import Argument, Choice, Hint, Spelled
from ..models import JobType
from ..timing import phase
from . import attach
from .backends import Backend, backend_of, collected
from .backends import quiet_dask as quiet_dask  # (filtering and summaries use it)
from .events import per_id, read_events, read_results, refused
from .flags import AUTHOR, TWEET, Ref
from .ids import IdColumn, check_errors_argument, is_listed, require_columns

__all__ = ["check", "results"]

_RECORDS: contextvars.ContextVar[list[tuple[Client, dict[str, Any]]] | None] = (
    contextvars.ContextVar("compliance_frames_records", default=None)
)
"""Where a check's audit line goes instead of the log while ``filter()`` runs it (filter
writes one line of its own, with what it removed)."""


@contextlib.contextmanager
def recording() -> Iterator[list[tuple[Client, dict[str, Any]]]]:
    """Collect the audit lines of the checks run inside (with their clients), unwritten."""
    kept: list[tuple[Client, dict[str, Any]]] = []
    token = _RECORDS.set(kept)
    try:
        yield kept
    finally:
        _RECORDS.reset(token)


def _record(ran: _Ran, tables: list[pl.DataFrame], kind: str, **counts: int | None) -> None:
    """The audit line of a run: written to the client's log, or kept by :func:`recording`."""
    reasons: dict[str, int] = {}
    for table in tables:
        named = table.filter(pl.col("reason").is_not_null())["reason"].cast(pl.String)
        for reason, count in named.value_counts().iter_rows():
            reasons[reason] = reasons.get(reason, 0) + int(count)
        if "error" in table.columns and (refusals := table["error"].is_not_null().sum()):
            reasons["refused"] = reasons.get("refused", 0) + int(refusals)
    line = audit.entry(
        kind,
        [job for result in ran.results for job in result.jobs],
        {job_type.value: (ids.count, ids.digest) for ids, job_type in ran.jobs},
        reasons,
        **counts,
    )
    kept = _RECORDS.get()
    if kept is not None:
        kept.append((ran.client, line))
    else:
        audit.append(ran.client.cache_dir, line)


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

    def jobs(self) -> list[tuple[JobType, list[IdColumn]]]:
        """The jobs to run, at most one of each type, and the columns whose IDs go into
        each: the row's own ID column and the references of its type; with ``user_col``
        or account references, a users job beside a tweets check."""
        own = IdColumn(self.id_col)
        columns: dict[JobType, list[IdColumn]] = {self.job_type: [own]}
        if self.user_col is not None:
            columns[JobType.USERS] = [IdColumn(self.user_col)]
        for ref in self.layout.refs:
            job_type = JobType.USERS if ref.users else JobType.TWEETS
            columns.setdefault(job_type, []).append(IdColumn(ref.column, ref.listed, ref=True))
        return list(columns.items())


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
    tables: list[tuple[pl.DataFrame, list[IdColumn], str]],
    errors: str,
    ran: _Ran,
) -> list[pl.Series]:
    """The keys X refused in each results table (``(results, columns, what)``); with
    ``errors="raise"``, an :class:`InvalidIDError` naming the rows of the first column
    refused. Results with refusals are first made to answer for the other IDs alone too."""
    refusals = [refused(table) for table, _, _ in tables]
    for index, refusal in enumerate(refusals):
        if refusal.height:
            ran.cover(index, refusal["key"])
    keys = []
    for (_, columns, what), refusal in zip(tables, refusals, strict=True):
        if refusal.height and errors == "raise":
            answer = " or ".join(sorted(refusal["error"].unique().to_list()))
            for column in columns:
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
    refs: _Refs,
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
    tweet_refs, user_refs, retweet_of = refs.checked(id_col, user_col, job_type)
    wanted = [id_col, *([user_col] if user_col else []), *tweet_refs, *user_refs]
    frame, backend, columns = _opened(df, wanted)
    with quiet_dask():
        layout = attach.Layout(
            prefix,
            users=user_col is not None,
            nullable=errors == "skip",
            refs=tuple(
                Ref(name, users=users, listed=is_listed(frame, name), retweet=name in retweet_of)
                for names, users in ((tweet_refs, False), (user_refs, True))
                for name in names
            ),
        )
    listed = [ref.column for ref in layout.refs if ref.listed]
    if listed and not backend.lists:
        raise InputError(
            f"Column {listed[0]!r} holds lists of IDs, and this kind of frame "
            f"({frame.implementation}) keeps no row order to bring each list's reasons back "
            "to its row.",
            hint=Hint(
                Choice("unnest the column first (one ID per row)"),
                Choice(
                    Spelled(
                        "check the frame as a polars LazyFrame (for DuckDB: relation.pl())", None
                    )
                ),
            ),
        )
    replace = attach.check_clash(columns, layout, overwrite)
    return _Plan(frame, backend, id_col, user_col, job_type, layout, replace)


def _names(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """A column name or several as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class _Refs:
    """``tweet_refs=``, ``user_refs=`` and ``retweet_of=`` as given."""

    tweet_refs: str | list[str] | tuple[str, ...] | None = None
    user_refs: str | list[str] | tuple[str, ...] | None = None
    retweet_of: str | list[str] | tuple[str, ...] | None = None

    def checked(
        self, id_col: str, user_col: str | None, job_type: JobType
    ) -> tuple[list[str], list[str], list[str]]:
        """The three as lists of names, or a clear error."""
        tweets, users = _names(self.tweet_refs), _names(self.user_refs)
        retweets = _names(self.retweet_of)
        stray = [name for name in retweets if name not in tweets]
        if stray:
            raise InputError(
                f"Column {stray[0]!r} is named as holding the posts that rows retweet, but it is "
                "not among the further columns of post IDs "
                f"({', '.join(map(repr, tweets)) or 'none given'}): a retweet's original is "
                "looked up in the posts job.",
                hint=Hint(
                    Choice("add ", Argument("tweet_refs", stray[0]), " too"),
                    Choice("name one of the tweet_refs in ", Argument("retweet_of")),
                ),
            )
        if tweets and job_type is not JobType.TWEETS:
            raise InputError(
                "Columns of post IDs add them to a posts job, and this check is of users.",
                hint=Hint(
                    Choice("use ", Argument("type", "tweets")),
                    Choice("leave out ", Argument("tweet_refs")),
                ),
            )
        named = [id_col, *([user_col] if user_col else []), *tweets, *users]
        twice = sorted({name for name in named if named.count(name) > 1})
        if twice:
            raise InputError(
                f"Column {twice[0]!r} is named twice among the ID columns and references; each "
                "column is checked once.",
                hint=Hint(Choice("name each column once")),
            )
        return tweets, users, retweets


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
    tweet_refs: str | list[str] | tuple[str, ...] | None = None,
    user_refs: str | list[str] | tuple[str, ...] | None = None,
    retweet_of: str | list[str] | tuple[str, ...] | None = None,
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
    :data:`~compliance_frames.reasons.FLAG_REASONS`). With ``user_col``, a users
    job runs on the author IDs at the same time; flags then cover what happened to the
    tweet or to its author, and ``{prefix}user_reason`` (with ``user_action``,
    ``user_redacted_at``) says what happened to the author. ``{prefix}remove`` says
    whether the row must go under X's rules: its post (or account) deleted, suspended,
    protected or deactivated, its author too, or the post named by a ``retweet_of``
    column (deleting an original deletes its retweets).

    ``tweet_refs`` and ``user_refs`` name further columns of post IDs and account IDs
    (quoted or retweeted posts, mentioned accounts...), each holding one ID per row or a
    list of IDs per row (polars ``List``, pandas lists, arrow lists); a null there is no
    reference. Their IDs go into the same jobs: still at most one of each type, each
    distinct ID uploaded once. Each gets ``{prefix}{column}_reason`` (for a list column,
    the reasons of its IDs as a list, null where an ID has no event). ``retweet_of``
    names those of ``tweet_refs`` that hold the post the row retweets.

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
        >>> flagged = compliance_frames.check(  # twarc-csv's columns  # doctest: +SKIP
        ...     df, "id", user_col="author_id", user_refs="entities.mentions",
        ...     tweet_refs=["referenced_tweets.retweeted.id", "referenced_tweets.quoted.id"],
        ...     retweet_of="referenced_tweets.retweeted.id")
    """
    refs = _Refs(tweet_refs, user_refs, retweet_of)
    plan = _plan(df, id_col, type, user_col, prefix, errors, overwrite, refs)
    frame, backend = plan.frame, plan.backend
    planned = plan.jobs()
    jobs: list[tuple[IdSet, JobType]] = []
    try:
        for job_type, columns in planned:
            what = _what(job_type)
            jobs.append((backend.ids(frame, columns, errors=errors, what=what), job_type))
    except BaseException:
        for ids, _ in jobs:
            ids.discard()  # some IDs were refused: nothing runs
        raise
    with _running(client, jobs, progress, job_options) as ran:
        with phase("parse results"):  # created_at is not part of the flags: left unparsed
            tables = [read_events(result, created_at=False) for result in ran.results]
        refusals = _refusals(
            frame,
            backend,
            [
                (table, columns, _what(job_type))
                for table, (job_type, columns) in zip(tables, planned, strict=True)
            ],
            errors,
            ran,
        )
    with phase("join"):
        per_type = {
            job_type: (per_id(table), refusal)
            for (job_type, _), table, refusal in zip(planned, tables, refusals, strict=True)
        }
        times = {
            job_type: created(result)
            for (job_type, _), result in zip(planned, ran.results, strict=True)
        }
        flagged = _attach(plan, per_type, times)
    _record(ran, tables, "check", **_flagged_rows(flagged, plan))
    return flagged


def _flagged_rows(flagged: Any, plan: _Plan) -> dict[str, int | None]:
    """The rows of an eager frame and those to remove, for the audit log (a lazy frame is
    not computed for it)."""
    if plan.backend.lazy:
        return {}
    frame = nw.from_native(flagged, eager_only=True)
    remove = nw.col(plan.layout.flag("remove")).fill_null(False).cast(nw.Int64).sum()
    row = collected(frame.select(nw.len().alias("rows"), remove.alias("flagged"))).row(0)
    return {"rows": int(row[0]), "flagged": int(row[1] or 0)}


def _what(job_type: JobType) -> str:
    return "tweet" if job_type is JobType.TWEETS else "user"


def created(result: JobResult) -> datetime | None:
    """When X produced a result: the creation time of its oldest job (split IDs: several)."""
    return min((job.created_at for job in result.jobs), default=None)


def _attach(
    plan: _Plan,
    per_type: dict[JobType, tuple[pl.DataFrame, pl.Series]],
    times: dict[JobType, datetime | None],
) -> Any:
    """The flags joined back: each source with the per-ID table of its job."""
    own, refused_own = per_type[plan.job_type]
    users, refused_users = per_type.get(JobType.USERS, (None, None))
    typed = [(TWEET, plan.job_type)]
    if plan.user_col is not None:
        typed.append((AUTHOR, JobType.USERS))
    typed += [
        (plan.layout.source(i), JobType.USERS if ref.users else JobType.TWEETS)
        for i, ref in enumerate(plan.layout.refs)
    ]
    stamps = {source: t for source, job_type in typed if (t := times.get(job_type)) is not None}
    join = attach.Join(
        plan.id_col,
        plan.user_col,
        own,
        users if plan.user_col is not None else None,
        plan.layout,
        plan.replace,
        refused=refused_own,
        refused_users=refused_users if plan.user_col is not None else None,
        refs=tuple(
            per_type[JobType.USERS if ref.users else JobType.TWEETS] for ref in plan.layout.refs
        ),
        times=stamps,
    )
    return plan.backend.attach(plan.frame, join)


def results(
    df: Any,
    id_col: str,
    type: JobType | str = "tweets",
    *,
    tweet_refs: str | list[str] | tuple[str, ...] | None = None,
    user_refs: str | list[str] | tuple[str, ...] | None = None,
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
    otherwise. ``tweet_refs`` and ``user_refs`` (see :func:`check`) add their IDs to the
    jobs; when both a posts job and an accounts job run, a last column ``type``
    (``tweets`` or ``users``) says which job each event came from.

    Example:
        >>> events = df.compliance.results("tweet_id")  # doctest: +SKIP
    """
    check_errors_argument(errors)
    job_type = job_type_of(type)
    tweets, users, _ = _Refs(tweet_refs, user_refs).checked(id_col, None, job_type)
    frame, backend, _ = _opened(df, [id_col, *tweets, *users])
    columns: dict[JobType, list[IdColumn]] = {job_type: [IdColumn(id_col)]}
    with quiet_dask():
        for names, ref_type in ((tweets, JobType.TWEETS), (users, JobType.USERS)):
            for name in names:
                ref = IdColumn(name, is_listed(frame, name), ref=True)
                columns.setdefault(ref_type, []).append(ref)
    planned = list(columns.items())
    jobs: list[tuple[IdSet, JobType]] = []
    try:
        for each_type, each in planned:
            jobs.append((backend.ids(frame, each, errors=errors, what=_what(each_type)), each_type))
    except BaseException:
        for ids, _ in jobs:
            ids.discard()
        raise
    with _running(client, jobs, progress, job_options) as ran:
        tables = [read_results(result) for result in ran.results]
        _record(ran, tables, "results")
        _refusals(
            frame,
            backend,
            [(table, each, _what(t)) for table, (t, each) in zip(tables, planned, strict=True)],
            errors,
            ran,
        )
    if len(tables) == 1:
        return backend.results(frame, tables[0])
    typed = [
        table.with_columns(pl.lit(each_type.value).alias("type"))
        for table, (each_type, _) in zip(tables, planned, strict=True)
    ]
    return backend.results(frame, pl.concat(typed))
