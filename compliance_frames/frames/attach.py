"""Joining results back: the columns of the flag rule, made for each kind of frame.

What the added columns hold is said once, in :mod:`~compliance_frames.frames.flags`;
here is how each kind of frame gets them (which kind takes which way is chosen once,
in :mod:`~compliance_frames.frames.backends`):

- polars (:func:`attach_polars`): one left join per source (``maintain_order="left"``)
  of the rows' keys against the small per-ID table, then the rule's polars
  expressions; a LazyFrame (:func:`attach_polars_lazy`) gets all of it in its plan;
- pandas (:func:`attach_pandas_like`): the same columns set with the frame's own index
  (index and order kept); numpy-backed frames get them built straight from numpy
  arrays, evaluating the same rule on bits (:func:`numpy_columns`);
- other lazy engines (:func:`attach_narwhals`: DuckDB, ...): a narwhals left join on the
  key, then the rule's narwhals expressions.

IDs that X refused (``invalid_id``, with ``errors="skip"``) get null flags, like values
that are not IDs: every path nulls their rows' keys before the join.

A reference column holding a list of IDs per row (:class:`~compliance_frames.frames.flags.Ref`
``listed``) is not joined: its keys are mapped through the per-ID table inside the list
(:func:`listed_columns`), which gives the same joined columns (a list of reasons, and
each flag set when any ID's events set it).

The user's frame is never modified: every path returns a new frame.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any, TypeVar

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import polars as pl

from ..errors import InputError
from ..hints import Argument, Choice, Hint, Spelled
from .flags import (
    AUTHOR,
    FLAGS,
    KEY,
    REMOVAL_REASONS,
    TWEET,
    USER_KEY,
    Checked,
    Event,
    Layout,
    Removal,
    Source,
    expressions,
    rule,
)
from .flags import unknown_reason as unknown_reason
from .ids import KEY_DTYPE, column_key, engine_keys, keys_of, nw_key, polars_key, to_engine

__all__ = [
    "KEY",
    "USER_KEY",
    "Join",
    "Layout",
    "arrow_backed",
    "attach_narwhals",
    "attach_pandas_like",
    "attach_polars",
    "attach_polars_lazy",
    "check_clash",
    "listed_columns",
    "numpy_columns",
    "polars_columns",
    "unknown_reason",
]

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
_NAT = np.iinfo(np.int64).min
_UTC_MICROS = "datetime64[us, UTC]"


def check_clash(columns: list[str], layout: Layout, overwrite: bool) -> list[str]:
    """The existing columns that the check would replace (an error unless ``overwrite``).

    Example:
        >>> check_clash(["id", "c_deleted"], Layout("c_", users=False), overwrite=True)
        ['c_deleted']
    """
    clash = [name for name in layout.names() if name in columns]
    if clash and not overwrite:
        raise InputError(
            f"The frame already has column(s) {', '.join(map(repr, clash))}, perhaps from an "
            "earlier check.",
            hint=Hint(
                Choice("pass ", Argument("overwrite", True), " to replace them"),
                Choice("another ", Argument("prefix", python="prefix="), " to keep both"),
                Choice(
                    Spelled(
                        None,
                        "check the dataset as it was before the earlier check (not its --output), "
                        "or drop those columns from it",
                    )
                ),
            ),
        )
    return clash


@dataclass(frozen=True)
class Join:
    """What a frame is joined with: its key columns, the per-ID event tables, the layout.

    ``tweets`` (and ``users`` with ``user_col``) are per-ID tables (one row per ID with
    an event, see :func:`~compliance_frames.frames.events.per_id`); ``replace`` names the
    existing columns the added ones replace (``overwrite=True``); ``refused`` (and
    ``refused_users``) the keys X refused (UInt64), whose rows get null flags.
    ``refs`` holds, for each reference column of the layout, the per-ID table of its
    job and the keys X refused in that job.
    """

    id_col: str
    user_col: str | None
    tweets: pl.DataFrame
    users: pl.DataFrame | None
    layout: Layout
    replace: list[str]
    refused: pl.Series | None = None
    refused_users: pl.Series | None = None
    refs: tuple[tuple[pl.DataFrame, pl.Series | None], ...] = ()
    times: dict[Source, datetime] = field(default_factory=dict)
    """When each source's job was created (``{prefix}checked_at``)."""

    def sources(self) -> list[tuple[Source, str, pl.DataFrame, pl.Series | None]]:
        """Each source of events: its ID column, per-ID table and refused keys."""
        sources = [(TWEET, self.id_col, self.tweets, self.refused)]
        if self.user_col is not None:
            users = self.users if self.users is not None else self.tweets.clear()
            sources.append((AUTHOR, self.user_col, users, self.refused_users))
        for index, (ref, (table, refused)) in enumerate(
            zip(self.layout.refs, self.refs, strict=True)
        ):
            sources.append((self.layout.source(index), ref.column, table, refused))
        return sources


# -- polars ----------------------------------------------------------------------------------


def attach_polars(native: pl.DataFrame, join: Join) -> pl.DataFrame:
    """A polars DataFrame with the added columns (rows' keys joined, the rule applied)."""
    keys = _row_keys(nw.from_native(native, eager_only=True), join)
    return native.drop(join.replace).with_columns(polars_columns(keys, join).get_columns())


def attach_polars_lazy(native: pl.LazyFrame, join: Join) -> pl.LazyFrame:
    """A polars LazyFrame with the join and the rule in its plan: it stays lazy."""
    schema = native.collect_schema()  # keys first: the ID column may be one replaced
    keyed = native.with_columns(
        unrefused(column_key(column, schema[column], source.listed), refused, source.listed).alias(
            source.key
        )
        for source, column, _, refused in join.sources()
    ).drop(join.replace)
    joined = _joined(keyed, join)
    temporary = _temporary(joined.collect_schema().names(), join)
    return joined.with_columns(expressions(join.layout, pl, join.times)).drop(temporary)


def polars_columns(keys: dict[Source, pl.Series], join: Join) -> pl.DataFrame:
    """The added columns for rows with these keys (per source), in row order."""
    rows = pl.DataFrame({source.key: keys[source] for source, *_ in join.sources()})
    return _joined(rows, join).select(expressions(join.layout, pl, join.times))


def _joined(rows: Frame, join: Join) -> Frame:
    """The rows left-joined with each source's per-ID table (its columns prefixed), in order.

    Eager rows get eager joins: faster than a lazy plan for a frame of keys alone.
    """
    for source, _, table, _ in join.sources():
        if source.listed:
            rows = rows.with_columns(listed_columns(source, table))
            continue
        prefixed = table.rename({name: source.column(name) for name in table.columns})
        rows = rows.join(
            prefixed if isinstance(rows, pl.DataFrame) else prefixed.lazy(),
            left_on=source.key,
            right_on=source.column("key"),
            how="left",
            maintain_order="left",
        )
    return rows


def _temporary(names: list[str], join: Join) -> list[str]:
    """The joined frame's keys and per-ID columns, dropped once the rule has used them."""
    sources = [source for source, *_ in join.sources()]
    prefixes = tuple(source.prefix for source in sources)
    keys = {source.key for source in sources}
    return [name for name in names if name in keys or name.startswith(prefixes)]


def listed_columns(source: Source, table: pl.DataFrame) -> list[pl.Expr]:
    """The joined columns of a list of keys per row (``source.key``): ``reason``, the
    deciding reason of each ID (a list, null where an ID has no event), and each flag of
    :data:`~compliance_frames.flags.REMOVAL_REASONS`, set when any ID's events set it.

    Example:
        >>> from compliance_frames.frames.events import per_id, read_results
        >>> table = per_id(read_results(b'{"id":"5","reason":"deleted"}\\n'))
        >>> source = Source("k", "r_", listed=True)
        >>> rows = pl.DataFrame({"k": [[5, 6], [], None]}, schema={"k": pl.List(pl.UInt64)})
        >>> rows.select(listed_columns(source, table)).rows()[:2]
        [(['deleted', None], True, False, False, False), ([], False, False, False, False)]
    """
    keys = pl.col(source.key)
    reasons = keys.list.eval(
        pl.element().replace_strict(
            table["key"], table["reason"].cast(pl.String), default=None, return_dtype=pl.String
        )
    )
    added = [reasons.alias(source.column("reason"))]
    for flag in REMOVAL_REASONS:
        hit = table.filter(pl.col(flag))["key"]
        found = keys.list.eval(pl.element().is_in(hit.implode())).list.any()
        added.append(found.fill_null(False).alias(source.column(flag)))
    return added


def unrefused(key: pl.Expr, refused: pl.Series | None, listed: bool = False) -> pl.Expr:
    """The key, null where X refused the ID (nothing to do when it refused none); in a
    list of keys, each refused key is null."""
    if refused is None or not refused.len():
        return key
    if listed:
        element = pl.element()
        return key.list.eval(pl.when(~element.is_in(refused.implode())).then(element))
    return pl.when(~key.is_in(refused.implode())).then(key)


def _row_keys(frame: nw.DataFrame[Any], join: Join) -> dict[Source, pl.Series]:
    """Every row's key per source, null where not an ID or refused by X."""

    def keys(column: str, refused: pl.Series | None, listed: bool) -> pl.Series:
        # (spaces around IDs: said once, as the IDs were taken out)
        found = keys_of(frame, column, warn=False, listed=listed)
        if refused is None or not refused.len():
            return found
        return found.to_frame(KEY).select(unrefused(pl.col(KEY), refused, listed)).to_series()

    return {
        source: keys(column, refused, source.listed)
        for source, column, _, refused in join.sources()
    }


# -- pandas ----------------------------------------------------------------------------------


def attach_pandas_like(frame: nw.DataFrame[Any], join: Join) -> Any:
    """pandas (and pandas-like) frames: columns set with the frame's own index.

    pyarrow-backed frames get pyarrow dtypes (``bool[pyarrow]``,
    ``timestamp[us, tz=UTC][pyarrow]``, dictionaries); numpy-backed ones get ``bool``
    (``boolean`` when rows may be null), ``category`` and ``datetime64[us, UTC]``, built
    straight from numpy arrays.
    """
    import pandas as pd

    native = frame.drop(join.replace).to_native()
    keys = _row_keys(frame, join)
    if arrow_backed(native):
        converted = polars_columns(keys, join).to_pandas(use_pyarrow_extension_array=True)
        converted.index = native.index
        columns = {name: converted[name] for name in converted.columns}
    else:
        columns = numpy_columns(keys, join, native.index)
    # A shallow copy shares the user's columns: safe only under copy-on-write (pandas 3,
    # or pandas 2 with the option on). Otherwise an edit of the result would reach them.
    out = native.copy(deep=not _copy_on_write(pd))
    for name, series in columns.items():
        out[name] = series
    return out


def arrow_backed(native: Any) -> bool:
    """Whether a pandas frame holds pyarrow-backed columns (its added columns are too)."""
    import pandas as pd

    return any(isinstance(dtype, pd.ArrowDtype) for dtype in native.dtypes)


def _copy_on_write(pd: Any) -> bool:
    """Whether pandas copies on write, so that a shallow copy cannot alter its source."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return bool(pd.get_option("mode.copy_on_write") is True)


def numpy_columns(keys: dict[Source, pl.Series], join: Join, index: Any) -> dict[str, Any]:
    """The added columns as numpy-backed pandas Series: the flag rule on numpy arrays.

    Each per-ID table is first narrowed to what numpy and pandas need (reason and
    action as small integer codes, the flags as the bits of one byte, ``redacted_at``
    as microseconds); one join brings those to every row, and the pandas columns are
    built from them without further conversion. Flags combine like the rule's
    expressions: False where no event, null where the key is null (``boolean`` dtype,
    Kleene ``or``) when the layout is nullable.
    """
    import pandas as pd

    found: dict[Source, _Codes | _Listed] = {
        source: (_Listed if source.listed else _Codes).join(keys[source], table)
        for source, _, table, _ in join.sources()
    }
    valid = {source: row_keys.is_not_null().to_numpy() for source, row_keys in keys.items()}

    def known(source: Source, values: Any, nullable: bool) -> Any:
        return pd.arrays.BooleanArray(values, ~valid[source]) if nullable else values

    columns: dict[str, Any] = {}
    for column in rule(join.layout):
        if isinstance(column, Event):
            values, dtype = found[column.source].values(column.field)
        elif isinstance(column, Checked):
            values, dtype = _checked_micros(column, keys, join.times), _UTC_MICROS
        elif isinstance(column, Removal):
            each = [
                known(
                    source,
                    reduce(operator.or_, [found[source].flag(f) for f in REMOVAL_REASONS]),
                    source in column.nullable,
                )
                for source in column.sources
            ]
            values, dtype = reduce(operator.or_, each), "boolean" if column.nullable else bool
        else:
            each = [
                known(source, found[source].flag(column.flag), column.nullable)
                for source in column.sources
            ]
            values, dtype = reduce(operator.or_, each), "boolean" if column.nullable else bool
        columns[column.name] = pd.Series(values, index=index, dtype=dtype, copy=False)
    return columns


def _checked_micros(
    column: Checked, keys: dict[Source, pl.Series], times: dict[Source, datetime]
) -> Any:
    """``{prefix}checked_at`` on numpy: each row's oldest job time of the sources it used."""
    micros = np.full(len(keys[column.sources[0]]), _NAT, dtype=np.int64)
    known = sorted(((times[s], i) for i, s in enumerate(column.sources) if s in times))
    for time, index in reversed(known):  # the oldest written last
        source = column.sources[index]
        row_keys = keys[source]
        used = row_keys.list.len().fill_null(0) > 0 if source.listed else row_keys.is_not_null()
        stamp = int(pl.Series([time], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0])
        micros[used.to_numpy()] = stamp
    micros[keys[column.sources[0]].is_null().to_numpy()] = _NAT
    return micros.view("M8[us]")


@dataclass(frozen=True)
class _Codes:
    """A per-ID table's events brought to every row as numpy arrays.

    ``codes[column]`` holds each row's code into ``categories[column]`` (-1: no event),
    ``flags`` the bits of its flags (bit i for ``FLAGS[i]``), ``micros`` its
    ``redacted_at`` in microseconds (NaT where none).
    """

    codes: dict[str, npt.NDArray[np.int16]]
    categories: dict[str, list[str]]
    flags: npt.NDArray[np.uint8]
    micros: npt.NDArray[np.int64]

    @classmethod
    def join(cls, row_keys: pl.Series, table: pl.DataFrame) -> _Codes:
        small: dict[str, Any] = {KEY: table["key"]}
        categories: dict[str, list[str]] = {}
        for column in ("reason", "action"):
            codes, categories[column] = _codes(table[column])
            small[column] = codes + np.int16(1)  # 0 is kept for "no event"
        bits = np.zeros(table.height, dtype=np.uint8)
        for position, flag in enumerate(FLAGS):
            bits |= table[flag].to_numpy().astype(np.uint8) << np.uint8(position)
        small["flags"] = bits
        small["micros"] = table["redacted_at"].dt.epoch("us")
        frame = row_keys.alias(KEY).to_frame()
        joined = frame.join(pl.DataFrame(small), on=KEY, how="left", maintain_order="left")
        return cls(
            {c: joined[c].fill_null(0).to_numpy() - np.int16(1) for c in ("reason", "action")},
            categories,
            joined["flags"].fill_null(0).to_numpy(),
            joined["micros"].fill_null(_NAT).to_numpy(),
        )

    def flag(self, name: str) -> npt.NDArray[np.bool_]:
        """Each row's flag ``name``."""
        found: npt.NDArray[np.bool_] = (self.flags & np.uint8(1 << FLAGS.index(name))) != 0
        return found

    def values(self, field: str) -> tuple[Any, Any]:
        """An event field's values for every row, and its pandas dtype."""
        if field == "redacted_at":
            return self.micros.view("M8[us]"), _UTC_MICROS
        import pandas as pd

        categories = pd.Index(self.categories[field])
        codes = self.codes[field]
        return pd.Categorical.from_codes(codes, categories=categories, validate=False), None


@dataclass(frozen=True)
class _Listed:
    """A list of keys per row, mapped through a per-ID table (:func:`listed_columns`):
    the reasons (lists) and the removal flags, as numpy arrays."""

    joined: pl.DataFrame

    @classmethod
    def join(cls, row_keys: pl.Series, table: pl.DataFrame) -> _Listed:
        source = Source(KEY, "", listed=True)
        return cls(row_keys.alias(KEY).to_frame().select(listed_columns(source, table)))

    def flag(self, name: str) -> npt.NDArray[np.bool_]:
        """Each row's flag ``name``: set when any of its IDs' events set it."""
        found: npt.NDArray[np.bool_] = self.joined[name].to_numpy()
        return found

    def values(self, field: str) -> tuple[Any, Any]:
        """Each row's list of reasons (a Python list, None where the row has none)."""
        values = np.empty(self.joined.height, dtype=object)
        for position, reasons in enumerate(self.joined[field].to_list()):
            values[position] = reasons
        return values, object


def _codes(values: pl.Series) -> tuple[npt.NDArray[np.int16], list[str]]:
    """A categorical's values as codes 0..n-1 into its distinct values (-1 where null).

    Maps the categorical's own ids through its few distinct values: no string of the
    column is touched.
    """
    distinct = values.drop_nulls().unique()
    categories = distinct.cast(pl.String).to_list()
    ids = distinct.to_physical().to_numpy()
    lookup = np.full(int(ids.max()) + 1 if ids.size else 1, -1, dtype=np.int16)
    lookup[ids] = np.arange(len(categories), dtype=np.int16)
    codes: npt.NDArray[np.int16] = lookup[values.to_physical().fill_null(0).to_numpy()]
    codes[values.is_null().to_numpy()] = -1
    return codes, categories


# -- other engines ---------------------------------------------------------------------------


def attach_narwhals(
    frame: nw.LazyFrame[Any],
    join: Join,
    *,
    key: Any = KEY_DTYPE,
    small: Callable[[Any], Any] | None = None,
) -> Any:
    """Other lazy engines (DuckDB, PySpark, ...): a narwhals left join on the key.

    ``key`` is the dtype of the keys (a decimal on Spark, which has no unsigned 64-bit
    integers: see :data:`~compliance_frames.frames.ids.WIDE_KEY`); ``small``, if given,
    marks each native per-ID table as the small side of the join (Spark: broadcast to
    every executor once, rather than shuffling the frame). Row order is what the engine
    makes of it: SQL engines promise none.
    """
    schema = frame.collect_schema()  # keys first: the ID column may be one replaced
    result = frame.with_columns(
        nw_key(column, schema[column], key=key).alias(source.key)
        for source, column, _, _ in join.sources()
    ).drop(join.replace)
    for source, _, _, refused in join.sources():
        result = _nw_unrefused(result, source.key, refused, key)
    for source, _, table, _ in join.sources():
        prepared = table.with_columns(
            pl.col(["reason", "action"]).cast(pl.String), pl.col("key").cast(polars_key(key))
        ).rename({name: source.column(name) for name in table.columns})
        other = to_engine(frame, prepared)
        if small is not None:
            other = nw.from_native(small(other.to_native()))
        result = result.join(other, left_on=source.key, right_on=source.column("key"), how="left")
    temporary = _temporary(result.collect_schema().names(), join)
    added = expressions(join.layout, nw, join.times)
    return result.with_columns(*added).drop(temporary).to_native()


def _nw_unrefused(
    frame: nw.LazyFrame[Any], column: str, refused: pl.Series | None, key: Any = KEY_DTYPE
) -> nw.LazyFrame[Any]:
    """:func:`unrefused` in narwhals terms: the keys in ``column`` that X refused made
    null, found by a join with a table of them in the engine (``key``: the keys' dtype)."""
    if refused is None or not refused.len():
        return frame
    found, hit = f"{column}_refused_key", f"{column}_refused"
    table = engine_keys(frame, refused, found, key).with_columns(nw.lit(True).alias(hit))
    joined = frame.join(table, left_on=column, right_on=found, how="left")
    unrefused = nw.when(nw.col(hit).is_null()).then(nw.col(column)).alias(column)
    return joined.with_columns(unrefused).drop(found, hit, strict=False)
