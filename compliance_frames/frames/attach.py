"""Joining results back: the added columns, and how each kind of frame gets them.

One left join (``maintain_order="left"``) of the rows' keys against the small per-ID
table of events brings every row its ID's events. Then:

- polars DataFrame: the columns are added; a LazyFrame gets the join in its plan
  (lazy stays lazy);
- pandas (and other pandas-like frames): the columns are built (straight from numpy
  for numpy-backed frames) and set with the frame's own index, so index and order are
  preserved;
- Dask: every partition goes through the pandas path (index and order preserved);
- other lazy engines (DuckDB, ...): a narwhals left join on the key.

IDs that X refused (``invalid_id``, with ``errors="skip"``) get null flags, like values
that are not IDs: every path nulls their rows' keys before the join.

The user's frame is never modified: every path returns a new frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt
import polars as pl

from ..errors import InputError
from ..hints import Argument, Choice, Hint, Spelled
from .events import FLAGS, KNOWN_REASONS
from .ids import key_expression, keys_of, nw_key

KEY = "__compliance_key"
USER_KEY = "__compliance_user_key"
_NAT = np.iinfo(np.int64).min
_UTC_MICROS = "datetime64[us, UTC]"
_T = "__compliance_t_"
_U = "__compliance_u_"
_EVENT = ("reason", "action", "redacted_at")


@dataclass(frozen=True)
class Layout:
    """The names of the added columns.

    ``{prefix}reason``, ``{prefix}action``, ``{prefix}redacted_at`` (the tweet's own
    event), the flags of :data:`~compliance_frames.frames.events.FLAGS` (set by the
    tweet's events or, with ``user_col``, its author's), then ``{prefix}user_reason``,
    ``{prefix}user_action`` and ``{prefix}user_redacted_at`` with ``user_col``.

    Example:
        >>> Layout("c_", users=False).names()[:4]
        ['c_reason', 'c_action', 'c_redacted_at', 'c_deleted']
    """

    prefix: str
    users: bool
    nullable: bool = False

    def names(self) -> list[str]:
        """Every added column, in order."""
        names = [self.prefix + name for name in (*_EVENT, *FLAGS)]
        if self.users:
            names += [f"{self.prefix}user_{name}" for name in _EVENT]
        return names

    def flag(self, reason: str) -> str:
        """The name of a flag column."""
        return self.prefix + reason


def check_clash(columns: list[str], layout: Layout, overwrite: bool) -> list[str]:
    """The existing columns that the check would replace (an error unless ``overwrite``)."""
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
    """

    id_col: str
    user_col: str | None
    tweets: pl.DataFrame
    users: pl.DataFrame | None
    layout: Layout
    replace: list[str]
    refused: pl.Series | None = None
    refused_users: pl.Series | None = None


def add_columns(
    frame: pl.LazyFrame, tweets: pl.DataFrame, users: pl.DataFrame | None, layout: Layout
) -> pl.LazyFrame:
    """Left-join the per-ID tables on the key columns (order kept) and add the layout's columns.

    ``frame`` has :data:`KEY` (and :data:`USER_KEY` with users); they are dropped.
    """
    joined = frame.join(
        _renamed(tweets, _T), left_on=KEY, right_on=_T + "key", how="left", maintain_order="left"
    )
    if users is not None:
        joined = joined.join(
            _renamed(users, _U),
            left_on=USER_KEY,
            right_on=_U + "key",
            how="left",
            maintain_order="left",
        )
    added = [pl.col(_T + name).alias(layout.prefix + name) for name in _EVENT]
    for reason in FLAGS:
        flag = _known(KEY, pl.col(_T + reason))
        if users is not None:
            flag = flag | _known(USER_KEY, pl.col(_U + reason))
        added.append(flag.alias(layout.flag(reason)))
    if users is not None:
        added += [pl.col(_U + name).alias(f"{layout.prefix}user_{name}") for name in _EVENT]
    temporary = [c for c in joined.collect_schema().names() if c.startswith((_T, _U))]
    return joined.with_columns(added).drop(
        [*temporary, KEY, *([USER_KEY] if users is not None else [])]
    )


def unrefused(key: pl.Expr, refused: pl.Series | None) -> pl.Expr:
    """The key, null where X refused the ID (nothing to do when it refused none)."""
    if refused is None or not refused.len():
        return key
    return pl.when(~key.is_in(refused.implode())).then(key)


def _renamed(table: pl.DataFrame, prefix: str) -> pl.LazyFrame:
    return table.lazy().rename({name: prefix + name for name in table.columns})


def _known(key: str, flag: pl.Expr) -> pl.Expr:
    """False where the ID has no event, null where the row's ID was not valid."""
    return pl.when(pl.col(key).is_not_null()).then(flag.fill_null(False))


# -- per kind of frame -----------------------------------------------------------------------


def _known_flag(gathered: pl.Series, keys: pl.Series) -> pl.Series:
    """False where the ID has no event, null where the row's ID was not valid."""
    if not keys.null_count():
        return gathered.fill_null(False)
    return pl.select(pl.when(keys.is_not_null()).then(gathered.fill_null(False))).to_series()


def eager_columns(
    keys: pl.Series,
    user_keys: pl.Series | None,
    tweets: pl.DataFrame,
    users: pl.DataFrame | None,
    layout: Layout,
) -> list[pl.Series]:
    """The added columns for eager polars frames, in row order (one join per table)."""

    def joined(row_keys: pl.Series, table: pl.DataFrame) -> pl.DataFrame:
        frame = row_keys.alias(KEY).to_frame()
        return frame.join(table.rename({"key": KEY}), on=KEY, how="left", maintain_order="left")

    tweet_events = joined(keys, tweets)
    columns = [tweet_events[name].alias(layout.prefix + name) for name in _EVENT]
    user_events = None
    if users is not None and user_keys is not None:
        user_events = joined(user_keys, users)
    for reason in FLAGS:
        flag = _known_flag(tweet_events[reason], keys)
        if user_events is not None and user_keys is not None:
            flag = flag | _known_flag(user_events[reason], user_keys)
        columns.append(flag.alias(layout.flag(reason)))
    if user_events is not None:
        columns += [user_events[name].alias(f"{layout.prefix}user_{name}") for name in _EVENT]
    return columns


def attach_polars(native: pl.DataFrame | pl.LazyFrame, join: Join) -> pl.DataFrame | pl.LazyFrame:
    """polars: a LazyFrame gets a lazy join (it stays lazy); a DataFrame gets the columns."""
    if isinstance(native, pl.DataFrame):
        frame = nw.from_native(native, eager_only=True)
        keys, user_keys = _row_keys(frame, join)
        columns = eager_columns(keys, user_keys, join.tweets, join.users, join.layout)
        return native.drop(join.replace).with_columns(columns)
    schema = native.collect_schema()  # keys first: the ID column may be one replaced
    key = key_expression(join.id_col, schema[join.id_col])
    key_columns = [unrefused(key, join.refused).alias(KEY)]
    if join.user_col is not None:
        user_key = key_expression(join.user_col, schema[join.user_col])
        key_columns.append(unrefused(user_key, join.refused_users).alias(USER_KEY))
    keyed = native.with_columns(key_columns).drop(join.replace)
    return add_columns(keyed, join.tweets, join.users, join.layout)


def _row_keys(frame: nw.DataFrame[Any], join: Join) -> tuple[pl.Series, pl.Series | None]:
    """Every row's ID key (and author key with ``user_col``), null where not an ID or
    refused by X."""

    def keys(column: str, refused: pl.Series | None) -> pl.Series:
        found = keys_of(frame, column)
        if refused is None or not refused.len():
            return found
        return found.to_frame(KEY).select(unrefused(pl.col(KEY), refused)).to_series()

    user_keys = keys(join.user_col, join.refused_users) if join.user_col is not None else None
    return keys(join.id_col, join.refused), user_keys


def attach_pandas_like(frame: nw.DataFrame[Any], join: Join) -> Any:
    """pandas (and pandas-like) frames: columns set with the frame's own index.

    pyarrow-backed frames get pyarrow dtypes (``bool[pyarrow]``,
    ``timestamp[us, tz=UTC][pyarrow]``, dictionaries); numpy-backed ones get ``bool``
    (``boolean`` when rows may be null), ``category`` and ``datetime64[us, UTC]``, built
    straight from numpy arrays.
    """
    import pandas as pd

    native = frame.drop(join.replace).to_native()
    keys, user_keys = _row_keys(frame, join)
    if any(isinstance(dtype, pd.ArrowDtype) for dtype in native.dtypes):
        added = pl.DataFrame(eager_columns(keys, user_keys, join.tweets, join.users, join.layout))
        converted = added.to_pandas(use_pyarrow_extension_array=True)
        converted.index = native.index
        columns = {name: converted[name] for name in converted.columns}
    else:
        columns = numpy_columns(keys, user_keys, join.tweets, join.users, join.layout, native.index)
    # A shallow copy shares the user's columns: safe only under copy-on-write (pandas 3,
    # or pandas 2 with the option on). Otherwise an edit of the result would reach them.
    out = native.copy(deep=not _copy_on_write(pd))
    for name, series in columns.items():
        out[name] = series
    return out


def _copy_on_write(pd: Any) -> bool:
    """Whether pandas copies on write, so that a shallow copy cannot alter its source."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return bool(pd.get_option("mode.copy_on_write") is True)


def numpy_columns(
    keys: pl.Series,
    user_keys: pl.Series | None,
    tweets: pl.DataFrame,
    users: pl.DataFrame | None,
    layout: Layout,
    index: Any,
) -> dict[str, Any]:
    """The added columns as numpy-backed pandas Series.

    The small per-ID table is first narrowed to what numpy and pandas need (reason and
    action as small integer codes, the flags as the bits of one byte, ``redacted_at``
    as microseconds); one join brings those to every row, and the pandas columns are
    built from them without further conversion.
    """
    import pandas as pd

    def series(values: Any, dtype: Any = None) -> Any:
        return pd.Series(values, index=index, dtype=dtype, copy=False)

    def events(found: _Codes, names: list[str]) -> dict[str, Any]:
        reason, action, redacted = names
        return {
            reason: series(found.categorical("reason")),
            action: series(found.categorical("action")),
            redacted: series(found.micros.view("M8[us]"), _UTC_MICROS),
        }

    def flags(found: _Codes, row_keys: pl.Series) -> dict[str, Any]:
        valid = row_keys.is_not_null().to_numpy()
        out: dict[str, Any] = {}
        for position, reason in enumerate(FLAGS):
            values = (found.flags & np.uint8(1 << position)) != 0
            out[reason] = pd.arrays.BooleanArray(values, ~valid) if layout.nullable else values
        return out

    tweet_events = _Codes.join(keys, tweets)
    columns = events(tweet_events, [layout.prefix + name for name in _EVENT])
    flag_values = flags(tweet_events, keys)
    user_events = None
    if users is not None and user_keys is not None:
        user_events = _Codes.join(user_keys, users)
        user_flags = flags(user_events, user_keys)
        flag_values = {reason: flag_values[reason] | user_flags[reason] for reason in FLAGS}
    for reason in FLAGS:
        columns[layout.flag(reason)] = series(
            flag_values[reason], "boolean" if layout.nullable else bool
        )
    if user_events is not None:
        columns.update(events(user_events, [f"{layout.prefix}user_{name}" for name in _EVENT]))
    return columns


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

    def categorical(self, column: str) -> Any:
        import pandas as pd

        categories = pd.Index(self.categories[column])
        return pd.Categorical.from_codes(self.codes[column], categories=categories, validate=False)


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


def attach_dask(native: Any, join: Join) -> Any:
    """Dask: the pandas path on every partition (index and order kept)."""

    def partition(pdf: Any) -> Any:
        frame = nw.from_native(pdf, eager_only=True)
        return attach_pandas_like(frame, join)

    meta = partition(native._meta)
    return native.map_partitions(partition, meta=meta)


def attach_narwhals(frame: nw.LazyFrame[Any], join: Join) -> Any:
    """Other lazy engines (DuckDB, PySpark, ...): a narwhals left join on the key.

    Row order is what the engine makes of it: SQL engines promise none.
    """
    session = getattr(frame.to_native(), "sparkSession", None)
    schema = frame.collect_schema()  # keys first: the ID column may be one replaced
    id_col, user_col, layout = join.id_col, join.user_col, join.layout
    keys = [_nw_unrefused(nw_key(id_col, schema[id_col]), join.refused).alias(KEY)]
    tables = [(join.tweets, _T, KEY)]
    if user_col is not None:
        user_key = nw_key(user_col, schema[user_col])
        keys.append(_nw_unrefused(user_key, join.refused_users).alias(USER_KEY))
        users = join.users if join.users is not None else join.tweets.clear()
        tables.append((users, _U, USER_KEY))
    result = frame.with_columns(*keys).drop(join.replace)
    for table, prefix, key in tables:
        prepared = table.with_columns(pl.col(["reason", "action"]).cast(pl.String)).rename(
            {name: prefix + name for name in table.columns}
        )
        other = nw.from_native(prepared, eager_only=True).lazy(
            backend=frame.implementation, session=session
        )
        result = result.join(other, left_on=key, right_on=prefix + "key", how="left")
    added = [nw.col(_T + name).alias(layout.prefix + name) for name in _EVENT]
    for reason in FLAGS:
        flag = nw.when(~nw.col(KEY).is_null()).then(nw.col(_T + reason).fill_null(False))
        if user_col is not None:
            user = nw.when(~nw.col(USER_KEY).is_null()).then(nw.col(_U + reason).fill_null(False))
            flag = flag | user
        added.append(flag.alias(layout.flag(reason)))
    if user_col is not None:
        added += [nw.col(_U + name).alias(f"{layout.prefix}user_{name}") for name in _EVENT]
    result = result.with_columns(*added)
    temporary = [
        c for c in result.collect_schema().names() if c.startswith((_T, _U)) or c in (KEY, USER_KEY)
    ]
    return result.drop(temporary).to_native()


def _nw_unrefused(key: Any, refused: pl.Series | None) -> Any:
    """:func:`unrefused` in narwhals terms."""
    if refused is None or not refused.len():
        return key
    return nw.when(~key.is_in(refused.to_list())).then(key)


def unknown_reason(column: str) -> Any:
    """Narwhals: True where ``column`` holds a reason this version does not know (see
    :data:`~compliance_frames.frames.events.KNOWN_REASONS`)."""
    text = nw.col(column).cast(nw.String)
    return (~text.is_null() & ~text.is_in(list(KNOWN_REASONS))).fill_null(False)
