"""The flag rule, said once: which reasons and actions set which flag, which columns a
check adds, and what each holds.

An event (a line of the results) sets flags by its reason (:data:`FLAG_REASONS`) and by
its action (:data:`FLAG_ACTIONS`): :func:`flag_expressions` applies that to the results.
Every row is then joined with the per-ID events of its tweet (and, with ``user_col``, of
its author): one row per ID with an event, made by
:func:`~compliance_frames.frames.events.per_id`. From those joined columns:

- ``{prefix}reason``, ``{prefix}action``, ``{prefix}redacted_at`` are the tweet's
  deciding event (null where it has none), and with ``user_col``
  ``{prefix}user_reason``, ``{prefix}user_action``, ``{prefix}user_redacted_at`` the
  author's;
- each flag of :data:`FLAGS` is set when the tweet's
  events set it or (with ``user_col``) its author's: False where there is no event, and
  null (only with ``errors="skip"``) where the row's ID was not an ID or X refused it,
  unless the other ID's events set it (Kleene ``or``);
- ``{prefix}remove``, the roll-up: the row must go under X's rules (a
  :data:`REMOVAL_REASONS` flag of the post itself, of its author, or of a post that a
  ``retweet_of`` column names: deleting an original deletes its retweets);
- with reference columns (``tweet_refs``, ``user_refs``: :class:`Ref`),
  ``{prefix}{column}_reason`` for each: the deciding reason of the ID it holds, or for
  a list column the reasons of its IDs, as a list aligned with the IDs;
- ``{prefix}checked_at`` (:class:`Checked`, last): when X produced the row's answer, the
  creation time of the oldest job behind it (UTC, microseconds); null where the row's own
  ID was not checked.

:func:`rule` says this as data; :func:`expressions` in polars or narwhals expressions.
Each backend makes its columns from one or the other (see
:mod:`~compliance_frames.frames.attach`).

Example:
    >>> [column.name for column in rule(Layout("c_", users=True))][3:9]
    ['c_deleted', 'c_suspended', 'c_protected', 'c_scrub_geo', 'c_deactivated', 'c_edited']
    >>> rule(Layout("c_", users=True))[3].sources == (TWEET, AUTHOR)
    True
    >>> refs = (Ref("referenced_tweets.retweeted.id", retweet=True),)
    >>> Layout("c_", users=False, refs=refs).names()[-3:]
    ['c_remove', 'c_referenced_tweets.retweeted.id_reason', 'c_checked_at']
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..reasons import (
    FLAG_ACTIONS,
    FLAG_REASONS,
    FLAGS,
    KNOWN_REASONS,
    REASON_FLAGS,
    REMOVAL_REASONS,
)

__all__ = [
    "AUTHOR",
    "CHECKED_AT",
    "EVENT",
    "FLAGS",
    "FLAG_ACTIONS",
    "FLAG_REASONS",
    "KEY",
    "KNOWN_REASONS",
    "REASON_FLAGS",
    "REMOVAL_REASONS",
    "RULES",
    "TWEET",
    "USER_KEY",
    "Checked",
    "Event",
    "Flag",
    "Layout",
    "Ref",
    "Removal",
    "Source",
    "expressions",
    "flag_expressions",
    "removed_by",
    "rule",
    "unknown_reason",
    "used",
]


# The data of the rule (which reasons and actions set which flag) is plain Python, shared
# with clean_jsonl; this module makes the columns of it.
def flag_expressions(reason: pl.Expr, action: pl.Expr) -> list[pl.Expr]:
    """Each flag of :data:`FLAGS` as a boolean expression (never null) of an event's
    ``reason`` and ``action`` (strings or categoricals): the one place where the flag
    rule is applied."""
    flags = []
    for flag, reasons in FLAG_REASONS.items():
        expression = reason.is_in(reasons)
        if flag in FLAG_ACTIONS:
            expression = expression | action.is_in(FLAG_ACTIONS[flag])
        flags.append(expression.fill_null(False).alias(flag))
    return flags


KEY = "__compliance_key"
"""The rows' tweet (or user) ID key: UInt64, null where not an ID or refused by X."""
USER_KEY = "__compliance_user_key"
"""The rows' author key, with ``user_col``."""

EVENT = ("reason", "action", "redacted_at")
"""The fields of an ID's deciding event that are added as columns."""


@dataclass(frozen=True)
class Source:
    """Events joined to the rows: on which key column, under which temporary prefix.

    ``prefix + field`` names a field of the joined per-ID table (``reason``, a flag...).
    """

    key: str
    prefix: str
    listed: bool = False
    """The key column holds a list of IDs per row: its ``reason`` is a list (one reason per
    ID, null where none) and each flag is set when any of its IDs' events set it."""

    def column(self, field: str) -> str:
        """The joined column holding ``field``."""
        return self.prefix + field


TWEET = Source(KEY, "__compliance_t_")
"""The tweet's own events (or the user's, for a users check)."""
AUTHOR = Source(USER_KEY, "__compliance_u_")
"""The author's events, with ``user_col``."""


@dataclass(frozen=True)
class Event:
    """An added column copying ``field`` of the deciding event of ``source`` (or null)."""

    name: str
    source: Source
    field: str


@dataclass(frozen=True)
class Flag:
    """An added flag column: ``flag`` set by the events of any of ``sources``.

    Per source, False where its ID has no event; with ``nullable``, null where the row's
    key is null (a value that is not an ID, or refused by X). Sources combine with
    Kleene ``or`` (True wins over null).
    """

    name: str
    flag: str
    sources: tuple[Source, ...]
    nullable: bool


@dataclass(frozen=True)
class Removal:
    """The roll-up ``{prefix}remove``: True when the events of any of ``sources`` set a flag
    of :data:`REMOVAL_REASONS`. Per source, False where there is no event; for the sources
    in ``nullable`` (the row's own IDs, with ``errors="skip"``), null where the row's key
    is null. Sources combine with Kleene ``or``, as flags do."""

    name: str
    sources: tuple[Source, ...]
    nullable: tuple[Source, ...]


@dataclass(frozen=True)
class Checked:
    """The added ``{prefix}checked_at``: when X produced the row's answer, the creation time
    of the oldest job among those of ``sources`` that the row used (a source is used where
    its key is set; a list of keys where it holds one). Null where the row's own key
    (``sources[0]``) is null: the row was not checked."""

    name: str
    sources: tuple[Source, ...]


CHECKED_AT = "checked_at"
"""The name (after the prefix) of the :class:`Checked` column."""


@dataclass(frozen=True)
class Ref:
    """A reference column: more post IDs (or, with ``users``, account IDs) of the row, one
    per row or (``listed``) a list per row. ``retweet``: it names the post the row retweets,
    so the row goes when that post is removed (``retweet_of=``)."""

    column: str
    users: bool = False
    listed: bool = False
    retweet: bool = False


@dataclass(frozen=True)
class Layout:
    """The names of the added columns.

    ``{prefix}reason``, ``{prefix}action``, ``{prefix}redacted_at`` (the tweet's own
    event), the flags of :data:`FLAGS` (set by the
    tweet's events or, with ``user_col``, its author's), then ``{prefix}user_reason``,
    ``{prefix}user_action`` and ``{prefix}user_redacted_at`` with ``user_col``.
    ``nullable`` (``errors="skip"``): rows without a valid ID get null flags. The roll-up
    ``{prefix}remove`` follows the flags; ``{prefix}{column}_reason`` for each of ``refs``
    then ``{prefix}checked_at`` come last.

    Example:
        >>> Layout("c_", users=False).names()[:4]
        ['c_reason', 'c_action', 'c_redacted_at', 'c_deleted']
    """

    prefix: str
    users: bool
    nullable: bool = False
    refs: tuple[Ref, ...] = ()

    def source(self, index: int) -> Source:
        """The events of ``refs[index]``, joined under a temporary name of their own."""
        return Source(f"__compliance_k{index}", f"__compliance_r{index}_", self.refs[index].listed)

    def names(self) -> list[str]:
        """Every added column, in order."""
        return [column.name for column in rule(self)]

    def flag(self, reason: str) -> str:
        """The name of a flag column."""
        return self.prefix + reason


def rule(layout: Layout) -> list[Event | Flag | Removal | Checked]:
    """Every added column, in order, and where its values come from.

    Example:
        >>> rule(Layout("c_", users=False))[0]  # doctest: +NORMALIZE_WHITESPACE
        Event(name='c_reason', source=Source(key='__compliance_key',
              prefix='__compliance_t_', listed=False), field='reason')
    """
    sources = (TWEET, AUTHOR) if layout.users else (TWEET,)
    columns: list[Event | Flag | Removal | Checked] = [
        Event(layout.prefix + field, TWEET, field) for field in EVENT
    ]
    columns += [Flag(layout.flag(flag), flag, sources, layout.nullable) for flag in FLAGS]
    retweets = tuple(layout.source(i) for i, ref in enumerate(layout.refs) if ref.retweet)
    columns.append(
        Removal(layout.flag("remove"), sources + retweets, sources if layout.nullable else ())
    )
    if layout.users:
        columns += [Event(f"{layout.prefix}user_{field}", AUTHOR, field) for field in EVENT]
    columns += [
        Event(f"{layout.prefix}{ref.column}_reason", layout.source(i), "reason")
        for i, ref in enumerate(layout.refs)
    ]
    refs = tuple(layout.source(i) for i in range(len(layout.refs)))
    columns.append(Checked(layout.prefix + CHECKED_AT, sources + refs))
    return columns


def expressions(
    layout: Layout, ns: Any, times: Mapping[Source, datetime] | None = None
) -> list[Any]:
    """The rule as expressions over the joined frame, in ``ns``: ``polars`` or narwhals.

    The joined frame holds each source's key and its per-ID table's columns under the
    source's prefix (see :class:`Source`). ``times``: when each source's job was created
    (for ``{prefix}checked_at``; a source without one is not counted).

    Example:
        >>> import polars as pl
        >>> tweet = {TWEET.column(name): [None] * 3 for name in EVENT}
        >>> tweet |= {TWEET.column(flag): [flag == "deleted", None, None] for flag in FLAGS}
        >>> joined = pl.DataFrame({KEY: [1, 2, None], **tweet})
        >>> flagged = joined.select(expressions(Layout("c_", users=False, nullable=True), pl))
        >>> flagged["c_deleted"].to_list(), flagged["c_edited"].to_list()
        ([True, False, None], [False, False, None])
    """
    added = []
    for column in rule(layout):
        if isinstance(column, Event):
            added.append(ns.col(column.source.column(column.field)).alias(column.name))
            continue
        if isinstance(column, Checked):
            added.append(_checked(ns, column, times or {}).alias(column.name))
            continue
        if isinstance(column, Removal):
            each = [
                reduce(
                    operator.or_,
                    [_known(ns, s, f, s in column.nullable) for f in REMOVAL_REASONS],
                )
                for s in column.sources
            ]
        else:
            each = [_known(ns, source, column.flag, column.nullable) for source in column.sources]
        added.append(reduce(operator.or_, each).alias(column.name))
    return added


def _checked(ns: Any, column: Checked, times: Mapping[Source, datetime]) -> Any:
    """``{prefix}checked_at``: the oldest time of the sources the row used."""
    # (SQL engines take the time zone of their connection, which may spell UTC otherwise)
    dtype = ns.Datetime("us", "UTC") if ns is pl else None
    found = ns.lit(None, dtype=dtype)
    known = sorted(((times[s], i) for i, s in enumerate(column.sources) if s in times))
    for time, index in reversed(known):  # the oldest is tried first
        found = (
            ns.when(used(ns, column.sources[index]))
            .then(ns.lit(time, dtype=dtype))
            .otherwise(found)
        )
    return ns.when(~ns.col(column.sources[0].key).is_null()).then(found)


def used(ns: Any, source: Source) -> Any:
    """Whether the row used ``source``'s job: its key is set (a list: holds a key)."""
    if source.listed:
        return (ns.col(source.key).list.len().fill_null(0) > 0).fill_null(False)
    return ~ns.col(source.key).is_null()


def _known(ns: Any, source: Source, flag: str, nullable: bool) -> Any:
    """``flag`` of ``source``: False where no event, null where the row's key is null."""
    value = ns.col(source.column(flag)).fill_null(False)
    return ns.when(~ns.col(source.key).is_null()).then(value) if nullable else value


def unknown_reason(column: str) -> Any:
    """Narwhals: True where ``column`` holds a reason this version does not know (see
    :data:`KNOWN_REASONS`).

    Example:
        >>> import polars as pl
        >>> frame = nw.from_native(pl.DataFrame({"r": ["deleted", "bounced", None]}))
        >>> frame.select(unknown_reason("r"))["r"].to_list()
        [False, True, False]
    """
    text = nw.col(column).cast(nw.String)
    return (~text.is_null() & ~text.is_in(list(KNOWN_REASONS))).fill_null(False)


RULES = ("post", "author", "retweeted")
"""The rules of :class:`Removal`, as :func:`filter`'s report counts them: the post itself
was removed, its author was, or the post it retweets was."""


def removed_by(layout: Layout) -> dict[str, Any]:
    """Narwhals, over a checked frame: for each rule of :data:`RULES` that ``layout`` has,
    whether it removes the row (read from the added reason columns: an ID's deciding
    reason is one of :data:`REMOVAL_REASONS` exactly when one of its events sets such a
    flag, see :data:`~compliance_frames.frames.events.PRECEDENCE`).

    Example:
        >>> import polars as pl
        >>> layout = Layout("c_", users=False, refs=(Ref("rt", listed=True, retweet=True),))
        >>> frame = nw.from_native(pl.DataFrame(
        ...     {"c_reason": [None, "deleted"], "c_rt_reason": [["suspended", None], None]}))
        >>> frame.select(**removed_by(layout)).rows()
        [(False, True), (True, False)]
    """
    removal = list(REMOVAL_REASONS)

    def scalar(column: str) -> Any:
        return nw.col(column).cast(nw.String).is_in(removal).fill_null(False)

    def listed(column: str) -> Any:
        found = [nw.col(column).list.contains(reason) for reason in removal]
        return reduce(operator.or_, found).fill_null(False)

    rules = {"post": scalar(layout.prefix + "reason")}
    if layout.users:
        rules["author"] = scalar(f"{layout.prefix}user_reason")
    retweets = [
        (listed if ref.listed else scalar)(f"{layout.prefix}{ref.column}_reason")
        for ref in layout.refs
        if ref.retweet
    ]
    if retweets:
        rules["retweeted"] = reduce(operator.or_, retweets)
    return rules
