"""Joining results back: the added columns, and how each kind of frame gets them.

The columns are computed once, in polars, by a left join that keeps the row order
(``maintain_order="left"``). Then:

- polars DataFrame and LazyFrame: the join runs on the frame itself (lazy stays lazy);
- pandas (and other pandas-like frames): the columns are converted and set with the
  frame's own index, so index and order are preserved;
- Dask: every partition goes through the pandas path (index and order preserved);
- other lazy engines (DuckDB, ...): a narwhals left join on the key.

The user's frame is never modified: every path returns a new frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..errors import InputError
from .events import FLAGS
from .ids import key_expression, keys_of

KEY = "__compliance_key"
USER_KEY = "__compliance_user_key"
_T = "__compliance_t_"
_U = "__compliance_u_"
_EVENT = ("reason", "action", "redacted_at")


@dataclass(frozen=True)
class Layout:
    """The names of the added columns.

    ``{prefix}reason``, ``{prefix}action``, ``{prefix}redacted_at`` (the tweet's own
    event), the five flags (set by the tweet's events or, with ``user_col``, its
    author's), then ``{prefix}user_reason``, ``{prefix}user_action`` and
    ``{prefix}user_redacted_at`` with ``user_col``.

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
            "earlier check. Pass overwrite=True to replace them, or another prefix= to keep both."
        )
    return clash


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


def _renamed(table: pl.DataFrame, prefix: str) -> pl.LazyFrame:
    return table.lazy().rename({name: prefix + name for name in table.columns})


def _known(key: str, flag: pl.Expr) -> pl.Expr:
    """False where the ID has no event, null where the row's ID was not valid."""
    return pl.when(pl.col(key).is_not_null()).then(flag.fill_null(False))


# -- per kind of frame -----------------------------------------------------------------------


Attach = Callable[[Any], Any]


def attach_polars(
    native: pl.DataFrame | pl.LazyFrame,
    id_col: str,
    user_col: str | None,
    tweets: pl.DataFrame,
    users: pl.DataFrame | None,
    layout: Layout,
    replace: list[str],
) -> pl.DataFrame | pl.LazyFrame:
    """polars, eager or lazy (lazy stays lazy)."""
    lazy = native.lazy().drop(replace)
    schema = lazy.collect_schema()
    keys = [key_expression(id_col, schema[id_col]).alias(KEY)]
    if user_col is not None:
        keys.append(key_expression(user_col, schema[user_col]).alias(USER_KEY))
    result = add_columns(lazy.with_columns(keys), tweets, users, layout)
    return result if isinstance(native, pl.LazyFrame) else result.collect()


def attach_pandas_like(
    frame: nw.DataFrame[Any],
    id_col: str,
    user_col: str | None,
    tweets: pl.DataFrame,
    users: pl.DataFrame | None,
    layout: Layout,
    replace: list[str],
) -> Any:
    """pandas (and pandas-like) frames: columns set with the frame's own index."""
    keys = {KEY: keys_of(frame, id_col)}
    if user_col is not None:
        keys[USER_KEY] = keys_of(frame, user_col)
    added = add_columns(pl.DataFrame(keys).lazy(), tweets, users, layout).collect()
    native = frame.drop(replace).to_native()
    columns = _pandas_columns(added, native, layout)
    out = native.copy(deep=False)
    for name, series in columns.items():
        out[name] = series
    return out


def _pandas_columns(added: pl.DataFrame, native: Any, layout: Layout) -> dict[str, Any]:
    """The added columns as pandas Series with the frame's index, in its dtype family.

    pyarrow-backed frames get pyarrow dtypes (``bool[pyarrow]``, ``timestamp[us, tz=UTC][pyarrow]``,
    dictionaries); numpy-backed ones get ``bool`` (``boolean`` when rows may be null),
    ``category`` and ``datetime64[us, UTC]``.
    """
    import pandas as pd

    arrow = any(isinstance(dtype, pd.ArrowDtype) for dtype in native.dtypes)
    converted = added.to_pandas(use_pyarrow_extension_array=arrow)
    converted.index = native.index
    if not arrow:
        for reason in FLAGS:
            name = layout.flag(reason)
            converted[name] = converted[name].astype("boolean" if layout.nullable else bool)
    return {name: converted[name] for name in converted.columns}


def attach_dask(
    native: Any,
    id_col: str,
    user_col: str | None,
    tweets: pl.DataFrame,
    users: pl.DataFrame | None,
    layout: Layout,
    replace: list[str],
) -> Any:
    """Dask: the pandas path on every partition (index and order kept)."""

    def partition(pdf: Any) -> Any:
        frame = nw.from_native(pdf, eager_only=True)
        return attach_pandas_like(frame, id_col, user_col, tweets, users, layout, replace)

    meta = partition(native._meta)
    return native.map_partitions(partition, meta=meta)


def attach_narwhals(
    frame: nw.LazyFrame[Any],
    id_col: str,
    user_col: str | None,
    tweets: pl.DataFrame,
    users: pl.DataFrame | None,
    layout: Layout,
    replace: list[str],
) -> Any:
    """Other lazy engines (DuckDB, PySpark, ...): a narwhals left join on the key.

    Row order is what the engine makes of it: SQL engines promise none.
    """
    frame = frame.drop(replace)
    native = frame.to_native()
    session = getattr(native, "sparkSession", None)
    schema = frame.collect_schema()
    result = frame.with_columns(_nw_key(id_col, schema[id_col]).alias(KEY))
    tables = [(tweets, _T, KEY)]
    if user_col is not None:
        result = result.with_columns(_nw_key(user_col, schema[user_col]).alias(USER_KEY))
        tables.append((users if users is not None else tweets.clear(), _U, USER_KEY))
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


def unknown_reason(column: str) -> Any:
    """Narwhals: True where ``column`` holds a reason this version does not know."""
    text = nw.col(column).cast(nw.String)
    return (~text.is_null() & ~text.is_in(list(FLAGS))).fill_null(False)


def _nw_key(column: str, dtype: Any) -> Any:
    """The key expression in narwhals terms (for engines other than polars)."""
    col = nw.col(column)
    if dtype.is_integer():
        return nw.when(col >= 0).then(col.cast(nw.UInt64))
    text = col.cast(nw.String)
    return nw.when(text.str.contains(r"^[0-9]{1,19}$")).then(text.cast(nw.UInt64))
