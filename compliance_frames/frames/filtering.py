"""``filter()``: the dataset as the terms allow it to be kept.

Rows whose tweet or author was deleted, suspended, protected or deactivated are
dropped; geo columns are emptied on rows whose geo data was scrubbed; rows with an
event of a reason this version does not know are dropped too (the safe side), unless
``keep_unknown=True``. Edited posts are kept (their current version should be fetched
again), or dropped with ``edited="drop"``. What was done is reported.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .. import audit
from ..client import Client
from ..errors import InputError
from ..hints import PYTHON, Argument, Choice, Hint, Terms
from ..models import JobType
from .backends import backend_of, collected
from .checking import check, frame_of, job_type_of, quiet_dask, recording
from .flags import REMOVAL_REASONS, Layout, Ref, removed_by, unknown_reason
from .ids import require_columns

log = logging.getLogger("compliance_frames")

__all__ = ["FilterReport", "filter"]


@dataclass(frozen=True)
class FilterReport:
    """What :func:`filter` did."""

    rows_in: int
    rows_out: int
    removed: dict[str, int] = field(default_factory=dict)
    """Rows removed, by flag (a row with several flags counts under each)."""
    unknown: int = 0
    """Rows removed for a reason this version does not know."""
    scrubbed: int = 0
    """Rows whose geo columns were emptied."""
    geo_columns: tuple[str, ...] = ()
    unchecked: int = 0
    """Rows whose IDs were not valid or refused by X (``errors="skip"``): kept, unverified."""
    edited: int = 0
    """Kept rows whose post was edited (action ``rehydrate``): fetch them again to hold
    their current version. With ``edited="drop"`` they are removed instead, and counted
    in ``removed["edited"]``."""
    rules: dict[str, int] = field(default_factory=dict)
    """Rows removed under each rule of X's (see :data:`~compliance_frames.frames.flags.RULES`):
    ``post`` (the post itself was removed), ``author`` (with ``user_col``), ``retweeted``
    (with ``retweet_of``: the original was removed). A row counts under each rule that
    applies."""

    def __str__(self) -> str:
        return self.render()

    def render(self, terms: Terms | None = None) -> str:
        """The report in the words of a front end: its advice names Python arguments
        (``geo_columns=[...]``) by default, the command line's options with its terms
        (``--geo-columns``), as errors' hints do (see :mod:`compliance_frames.hints`).

        Example:
            >>> report = FilterReport(rows_in=3, rows_out=2, removed={"deleted": 1}, scrubbed=1)
            >>> print(report.render().splitlines()[-1])
            1 kept rows had their geo data scrubbed: pass geo_columns=[...] to empty those columns.
        """
        terms = terms if terms is not None else PYTHON
        removed = self.rows_in - self.rows_out
        counted = [f"{count:,} {reason}" for reason, count in self.removed.items() if count]
        why = ", ".join(counted)
        if len(counted) > 1:
            why += "; a row can count under several reasons"
        lines = [
            f"Kept {self.rows_out:,} of {self.rows_in:,} rows; removed {removed:,}"
            + (f" ({why})." if why else ".")
        ]
        if len(self.rules) > 1:
            said = {"post": "the post itself", "author": "its author", "retweeted": "the original"}
            each = ", ".join(f"{said[rule]} {count:,}" for rule, count in self.rules.items())
            lines.append(f"Removed by rule: {each} (a row counts under each rule that applies).")
        if self.unknown:
            advice = Hint(Choice("pass ", Argument("keep_unknown", True), " to keep such rows"))
            lines.append(
                f"{self.unknown:,} of them had an event of a reason this version does not know "
                "(see the reason columns)." + _then(advice.render(terms))
            )
        if self.geo_columns:
            columns = ", ".join(self.geo_columns)
            lines.append(f"Emptied {columns} on {self.scrubbed:,} rows with scrubbed geo data.")
        elif self.scrubbed:
            advice = Hint(
                Choice(
                    "pass ",
                    Argument("geo_columns", python="geo_columns=[...]"),
                    " to empty those columns",
                )
            )
            text = f"{self.scrubbed:,} kept rows had their geo data scrubbed"
            shown = advice.render(terms)
            lines.append(f"{text}: {shown[0].lower()}{shown[1:]}" if shown else f"{text}.")
        if self.edited:
            advice = Hint(Choice("pass ", Argument("edited", "drop"), " to remove them instead"))
            lines.append(
                f"{self.edited:,} kept posts were edited: fetch them again to hold their "
                "current version." + _then(advice.render(terms))
            )
        if self.unchecked:
            lines.append(
                f"{self.unchecked:,} rows were not checked (invalid IDs): kept, unverified."
            )
        return "\n".join(lines)


def _then(advice: str) -> str:
    """Advice after a sentence (nothing when the front end can offer none)."""
    return " " + advice if advice else ""


def filter(
    df: Any,
    id_col: str,
    type: JobType | str = "tweets",
    *,
    user_col: str | None = None,
    tweet_refs: str | list[str] | tuple[str, ...] | None = None,
    user_refs: str | list[str] | tuple[str, ...] | None = None,
    retweet_of: str | list[str] | tuple[str, ...] | None = None,
    geo_columns: list[str] | tuple[str, ...] | None = None,
    client: Client | None = None,
    prefix: str = "compliance_",
    errors: str = "raise",
    progress: bool = True,
    keep_flags: bool = False,
    keep_unknown: bool = False,
    edited: str = "keep",
    report: bool | None = None,
    return_report: bool = False,
    receipt: str | os.PathLike[str] | None = None,
    **job_options: Any,
) -> Any:
    """Check a frame and return it cleaned: removed rows dropped, scrubbed geo emptied.

    Runs :func:`check` (with ``user_col``, authors too; with ``tweet_refs``,
    ``user_refs`` and ``retweet_of``, the referenced posts and accounts too), drops the
    rows whose ``{prefix}remove`` is set: the tweet or its author deleted, suspended,
    protected or deactivated, or the post named by a ``retweet_of`` column removed (and, unless
    ``keep_unknown``, rows with an event of an unknown reason), sets ``geo_columns``
    to null on scrub_geo rows, and drops the compliance columns unless ``keep_flags``.
    Edited posts are kept and counted in the report (fetch them again to hold their
    current version); ``edited="drop"`` removes them instead.
    The report is printed (``report=True``; by default for eager frames only, since a
    lazy frame would have to be computed for it) and logged; ``return_report=True``
    returns ``(frame, report)``.

    The report counts the rows removed under each rule (the post itself, its author, the
    retweeted original), a row under each rule that applies.

    ``receipt=path`` also writes a deletion receipt (see :mod:`compliance_frames.audit`):
    each removed ID with its reason, the rule that removed it and ``{prefix}checked_at``,
    as CSV (``.csv``) or JSON lines. The run is recorded in the audit log of the client's
    cache folder (one line, kind ``filter``).

    Example:
        >>> clean = df.compliance.filter("tweet_id", user_col="author_id",
        ...                              geo_columns=["lat", "lon"])  # doctest: +SKIP
        Kept 27,031 of 30,000 rows; removed 2,969 (1,510 deleted, ...).
    """
    if edited not in ("keep", "drop"):
        raise InputError(
            f"edited must be 'keep' (keep edited posts, to fetch again) or 'drop' (remove "
            f"them), not {edited!r}."
        )
    frame = frame_of(df)
    geo = tuple(geo_columns or ())
    with quiet_dask():
        require_columns(frame.collect_schema().names(), list(geo))
    columns: dict[str, Any] = {
        "user_col": user_col,
        "tweet_refs": tweet_refs,
        "user_refs": user_refs,
        "retweet_of": retweet_of,
        "prefix": prefix,
        "errors": errors,
    }  # (the check's and the filter's alike)
    with recording() as records:
        checked = check(
            df, id_col, type, client=client, progress=progress, **columns, **job_options
        )
    return filter_checked(
        checked,
        records,
        id_col,
        type,
        **columns,
        geo_columns=geo,
        keep_flags=keep_flags,
        keep_unknown=keep_unknown,
        edited=edited,
        report=report,
        return_report=return_report,
        receipt=receipt,
    )


def filter_checked(
    checked: Any,
    records: list[tuple[Client, dict[str, Any]]],
    id_col: str,
    type: JobType | str = "tweets",
    *,
    user_col: str | None = None,
    tweet_refs: str | list[str] | tuple[str, ...] | None = None,
    user_refs: str | list[str] | tuple[str, ...] | None = None,
    retweet_of: str | list[str] | tuple[str, ...] | None = None,
    geo_columns: list[str] | tuple[str, ...] | None = None,
    prefix: str = "compliance_",
    errors: str = "raise",
    keep_flags: bool = False,
    keep_unknown: bool = False,
    edited: str = "keep",
    report: bool | None = None,
    return_report: bool = False,
    receipt: str | os.PathLike[str] | None = None,
) -> Any:
    """The second half of :func:`filter`: a frame :func:`check` has flagged (with the same
    arguments), cleaned; ``records`` are the audit lines of that check (collected with
    :func:`~compliance_frames.frames.checking.recording`), written here as one ``filter``
    line each. For a caller that keeps the flagged frame too (the command line writes
    both), so that the check runs once.
    """
    geo = tuple(geo_columns or ())
    flagged = frame_of(checked)
    layout = _layout(flagged, prefix, user_col, (tweet_refs, user_refs, retweet_of), errors)
    reason_columns = [prefix + "reason"] + ([f"{prefix}user_reason"] if user_col else [])
    removed_flags = [*REMOVAL_REASONS, *(["edited"] if edited == "drop" else [])]
    rolled_up = nw.col(layout.flag("remove")).fill_null(False)
    removal = [rolled_up]
    if edited == "drop":
        removal.append(nw.col(layout.flag("edited")).fill_null(False))
    unknown = reduce(lambda a, b: a | b, [unknown_reason(column) for column in reason_columns])
    remove = reduce(lambda a, b: a | b, removal)
    if not keep_unknown:
        remove = remove | unknown
    scrub = nw.col(layout.flag("scrub_geo")).fill_null(False)
    with quiet_dask():
        # A lazy frame's counts are one aggregation (each is a pass over the whole
        # plan); an eager frame's rules are read in polars (pandas lists are objects).
        lazy = backend_of(flagged).lazy
        summary = _report(
            flagged,
            layout,
            remove,
            unknown & ~reduce(lambda a, b: a | b, removal),
            scrub,
            geo,
            removed_flags,
            rules=removed_by(layout) if lazy else None,
        )
        if summary is not None and not lazy:
            summary = _with_rules(summary, flagged, layout)
        cleaned = flagged.filter(~remove)
        if geo:
            cleaned = cleaned.with_columns(
                nw.when(~scrub).then(nw.col(name)).alias(name) for name in geo
            )
        if not keep_flags:
            cleaned = cleaned.drop(layout.names())
        result = cleaned.to_native()
        if receipt is not None:
            own = job_type_of(type).value
            removed = _removed(flagged, layout, (id_col, own, user_col), remove, unknown, edited)
            jobs = [job for _, line in records for job in line["jobs"]]
            audit.write_receipt(receipt, removed, jobs)
    for chosen, recorded in records:
        line = {**recorded, "kind": "filter"}
        if summary is not None:
            line.update(rows=summary.rows_in, removed=summary.rows_in - summary.rows_out)
        audit.append(chosen.cache_dir, line)
    show = report if report is not None else not lazy
    if summary is not None:
        log.info("%s", summary)
        if show:
            print(summary)
    return (result, summary) if return_report else result


def _removed(
    flagged: nw.DataFrame[Any] | nw.LazyFrame[Any],
    layout: Layout,
    ids: tuple[str, str, str | None],
    remove: Any,
    unknown: Any,
    edited: str,
) -> list[audit.Removed]:
    """The removed rows' IDs for a receipt: each with its reason, the rule that removed it
    and when X answered (a row removed under several rules is listed under each). A post
    removed for its author is listed (reason ``author <reason>``), and so is the author's
    account (rule ``account``)."""
    id_col, own, user_col = ids
    prefix = layout.prefix
    columns = [id_col, *([user_col] if user_col else []), prefix + "reason"]
    columns += [name for name in _ref_reasons(layout, flagged) if name not in columns]
    picked = collected(
        flagged.filter(remove).select(
            *columns,
            nw.col(layout.flag("edited")).fill_null(False).alias("__edited"),
            unknown.alias("__unknown"),
            nw.col(prefix + "checked_at").alias("__as_of"),
        )
    )
    ruled = nw.from_native(picked, eager_only=True).select(**removed_by(layout)).to_polars()
    texts = picked.select(
        pl.col(name).cast(pl.String) if picked.schema[name] != pl.List else pl.col(name)
        for name in [id_col, *([user_col] if user_col else [])]
    )
    found: dict[tuple[str, str, str], audit.Removed] = {}

    def add(key: str | None, job_type: str, reason: str | None, rule: str, as_of: str) -> None:
        if key is not None and (key, job_type, rule) not in found:
            found[key, job_type, rule] = audit.Removed(key, job_type, reason or "", rule, as_of)

    reasons = picked[prefix + "reason"].cast(pl.String).to_list()
    authors = (
        picked[f"{prefix}user_reason"].cast(pl.String).to_list()
        if layout.users
        else [None] * picked.height
    )
    for index, row in enumerate(ruled.iter_rows(named=True)):
        key = texts[id_col][index]
        as_of = picked["__as_of"][index]
        when = as_of.isoformat() if as_of is not None else ""
        if row.get("post"):
            add(key, own, reasons[index], "post", when)
        if row.get("author") and user_col is not None:
            # The post that went (its author's reason), and the account itself.
            add(key, own, f"author {authors[index]}", "author", when)
            add(texts[user_col][index], "users", authors[index], "account", when)
        if row.get("retweeted"):
            add(key, own, "retweeted post removed", "retweeted", when)
        if edited == "drop" and picked["__edited"][index]:
            add(key, own, reasons[index], "edited-dropped", when)
        if picked["__unknown"][index]:
            add(key, own, reasons[index] or authors[index], "unknown reason", when)
    return list(found.values())


def _layout(
    flagged: nw.DataFrame[Any] | nw.LazyFrame[Any],
    prefix: str,
    user_col: str | None,
    refs: tuple[Any, Any, Any],
    errors: str,
) -> Layout:
    """The layout of the checked frame: its added columns, and which reference reason
    columns are lists (as check made them)."""
    tweets, users, retweets = ([r] if isinstance(r, str) else list(r or ()) for r in refs)
    schema = flagged.collect_schema()

    def ref(name: str, of_users: bool) -> Ref:
        dtype = schema[f"{prefix}{name}_reason"]  # (pandas lists: an object column)
        listed = isinstance(dtype, nw.List) or dtype == nw.Object
        return Ref(name, users=of_users, listed=listed, retweet=name in retweets)

    return Layout(
        prefix,
        users=user_col is not None,
        nullable=errors == "skip",
        refs=tuple(ref(name, False) for name in tweets) + tuple(ref(name, True) for name in users),
    )


def _with_rules(
    summary: FilterReport, flagged: nw.DataFrame[Any] | nw.LazyFrame[Any], layout: Layout
) -> FilterReport:
    """The report with the rows removed under each rule (one more aggregation)."""
    rules = removed_by(layout)
    if isinstance(flagged, nw.DataFrame):  # pandas lists are objects: read them in polars
        flagged = nw.from_native(
            flagged.select(layout.prefix + "reason", *_ref_reasons(layout, flagged)).to_polars()
        )
    counts = flagged.select(
        *[rule.cast(nw.Int64).sum().alias(name) for name, rule in rules.items()]
    )
    row = collected(counts).rows(named=True)[0]
    return replace(summary, rules={name: int(row[name] or 0) for name in rules})


def _ref_reasons(layout: Layout, flagged: nw.DataFrame[Any] | nw.LazyFrame[Any]) -> list[str]:
    """The reason columns the rules read, besides the post's own."""
    names = [f"{layout.prefix}user_reason"] if layout.users else []
    return names + [f"{layout.prefix}{ref.column}_reason" for ref in layout.refs if ref.retweet]


def _report(
    flagged: nw.DataFrame[Any] | nw.LazyFrame[Any],
    layout: Layout,
    remove: Any,
    unknown_only: Any,
    scrub: Any,
    geo: tuple[str, ...],
    removed_flags: list[str],
    *,
    rules: dict[str, Any] | None = None,
) -> FilterReport | None:
    """Counts of what the filter does (one aggregation over the flagged frame), with the
    rows removed under each of ``rules`` when given."""
    edited = nw.col(layout.flag("edited")).fill_null(False)
    sums = [nw.len().alias("rows"), remove.cast(nw.Int64).sum().alias("removed_rows")]
    sums += [
        nw.col(layout.flag(r)).fill_null(False).cast(nw.Int64).sum().alias(r) for r in removed_flags
    ]
    sums += [
        unknown_only.cast(nw.Int64).sum().alias("unknown"),
        (scrub & ~remove).cast(nw.Int64).sum().alias("scrubbed"),
        nw.col(layout.flag("deleted")).is_null().cast(nw.Int64).sum().alias("unchecked"),
        (edited & ~remove).cast(nw.Int64).sum().alias("kept_edited"),
    ]
    sums += [
        rule.cast(nw.Int64).sum().alias(f"rule_{name}") for name, rule in (rules or {}).items()
    ]
    counts = flagged.select(*sums)
    row = collected(counts).rows(named=True)[0]
    return FilterReport(
        rules={name: int(row[f"rule_{name}"] or 0) for name in rules} if rules else {},
        rows_in=int(row["rows"]),
        rows_out=int(row["rows"]) - int(row["removed_rows"] or 0),
        removed={
            reason: int(row[reason] or 0) if reason in removed_flags else 0
            for reason in (*REMOVAL_REASONS, "edited")
        },
        unknown=int(row["unknown"] or 0),
        scrubbed=int(row["scrubbed"] or 0),
        geo_columns=geo,
        unchecked=int(row["unchecked"] or 0),
        edited=int(row["kept_edited"] or 0),
    )
