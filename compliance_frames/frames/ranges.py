"""The IDs of a lazy frame (larger than memory, say) written out with bounded memory.

The keys are cut into ranges of at most ``budget`` IDs each (a histogram pass finds
where; a range still too full is cut finer), and each range in turn is collected,
de-duplicated, sorted and appended to the canonical file. Ranges ascend, so the file
comes out sorted, and its digest is that of the in-memory path: the same IDs name the
same job whether the frame was eager or lazy. Memory stays near ``budget`` IDs,
whatever the size of the frame.

Example:
    >>> import polars as pl, narwhals.stable.v2 as nw
    >>> frame = nw.from_native(pl.LazyFrame({"id": [30, 10, 20, 10, 40]}))
    >>> ids = stream_id_set(frame, "id", errors="raise", what="tweet", budget=2)
    >>> ids.path.read_text(), ids.count
    ('10\\n20\\n30\\n40\\n', 4)
    >>> ids.discard()
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from ..client import IdSet
from ..errors import InvalidIDError
from ..idlines import user_stacklevel
from .flags import KEY
from .ids import (
    CLASSIFIED,
    REFUSED_HINT,
    TRIMMED,
    IdColumn,
    engine_keys,
    float_error,
    invalid_error,
    key_literal,
    refused_message,
    trimmed_warning,
)

DEFAULT_BUDGET = 20_000_000
"""IDs held in memory at a time (8 bytes each, a few times over while sorting)."""

_BINS = 4096
_EXAMPLES = 5


def stream_id_set(
    frame: nw.LazyFrame[Any],
    column: str | Sequence[IdColumn],
    *,
    errors: str,
    what: str,
    budget: int = DEFAULT_BUDGET,
) -> IdSet:
    """The distinct valid IDs of a lazy frame's column (or of several: each ID once), as the
    canonical file to upload. A list column is exploded in the frame's engine."""
    columns = [IdColumn(column)] if isinstance(column, str) else list(column)
    parts = [_checked(frame, each, errors=errors, what=what) for each in columns]
    counted = [(keyed, stats) for keyed, stats in parts if stats["valid"]]
    digest = IdSet.hasher()
    count = 0
    with IdSet.new_file() as path, open(path, "wb") as sink:
        if counted:
            keys = [keyed.filter(~nw.col(KEY).is_null()).select(KEY) for keyed, _ in counted]
            valid = keys[0] if len(keys) == 1 else nw.concat(keys, how="vertical")
            key = valid.collect_schema()[KEY]  # UInt64, or Decimal(20, 0) where none (Spark)
            low = min(int(stats["low"]) for _, stats in counted)
            high = max(int(stats["high"]) for _, stats in counted)
            rows = sum(stats["valid"] for _, stats in counted)
            for start, stop in _ranges(valid, low, high + 1, rows, budget, key):
                part = (
                    valid.filter(_within(start, stop, key))
                    .collect(backend="polars")
                    .to_native()[KEY]
                    .cast(pl.UInt64)
                    .unique()
                    .sort()
                )
                part.to_frame().write_csv(sink, include_header=False)
                digest.update(np.ascontiguousarray(part.to_numpy(), dtype="<u8").tobytes())
                count += part.len()
    return IdSet.from_canonical(path, count=count, digest=digest.hexdigest())


def _checked(
    frame: nw.LazyFrame[Any], column: IdColumn, *, errors: str, what: str
) -> tuple[nw.LazyFrame[Any], dict[str, Any]]:
    """One column's keys (exploded for a list column; a reference column's nulls left out)
    and their statistics (``low``, ``high``, ``valid``), once its values that are not IDs
    are refused (unless skipping) and its IDs with spaces around them said."""
    dtype = frame.collect_schema()[column.name]
    element = dtype.inner if column.listed else dtype  # type: ignore[attr-defined]
    if element.is_float():
        raise float_error(column.name, dtype)
    keyed = _keyed(frame, column.name, dtype, listed=column.listed)
    if column.ref:
        keyed = keyed.filter(~nw.col(column.name).is_null())
    stats = _one_row(
        keyed.select(
            nw.col(KEY).min().alias("low"),
            nw.col(KEY).max().alias("high"),
            nw.col(KEY).is_null().cast(nw.Int64).sum().alias("invalid"),
            nw.col(TRIMMED).cast(nw.Int64).sum().alias("trimmed"),
            nw.len().alias("rows"),
        )
    )
    invalid, rows = int(stats["invalid"] or 0), int(stats["rows"] or 0)
    if stats["trimmed"]:
        warnings.warn(
            trimmed_warning(column.name, int(stats["trimmed"])),
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if invalid and errors == "raise":
        raise _invalid(keyed, column.name, invalid, what)
    stats["valid"] = rows - invalid
    return keyed, stats


def _within(start: int, stop: int, key: Any = nw.UInt64) -> Any:
    column = nw.col(KEY)
    return (column >= key_literal(start, key)) & (column < key_literal(stop, key))


def _ranges(
    valid: nw.LazyFrame[Any], start: int, stop: int, count: int, budget: int, key: Any = nw.UInt64
) -> list[tuple[int, int]]:
    """Ascending key ranges ``[start, stop)`` holding at most ``budget`` rows each (or one key).

    ``key`` is the keys' dtype. (Where it is a decimal, Spark divides in floating point:
    a key at the edge of a bin may be counted in the next one, which moves a range's
    count by a few rows, never the IDs a range holds.)"""
    pending = [(start, stop, count)]
    done: list[tuple[int, int]] = []
    while pending:
        low, high, rows = pending.pop()
        if rows <= budget or high - low <= 1:
            done.append((low, high))
            continue
        width = math.ceil((high - low) / min(_BINS, high - low))
        histogram = _one_table(
            valid.filter(_within(low, high, key))
            .select(((nw.col(KEY) - key_literal(low, key)) // width).alias("bin"))
            .group_by("bin")
            .agg(nw.len().alias("rows"))
        )
        segment_start, segment_rows = low, 0
        for index, rows_in_bin in sorted(histogram):
            bin_start = low + index * width
            if segment_rows and segment_rows + rows_in_bin > budget:
                done.append((segment_start, bin_start))
                segment_start, segment_rows = bin_start, 0
            if rows_in_bin > budget:  # one bin too full: cut it finer
                pending.append((bin_start, min(bin_start + width, high), rows_in_bin))
                segment_start = min(bin_start + width, high)
                continue
            segment_rows += rows_in_bin
        if segment_rows:
            done.append((segment_start, high))
    return sorted(done)


def _one_row(frame: nw.LazyFrame[Any]) -> dict[str, Any]:
    collected = frame.collect(backend="polars")
    row: dict[str, Any] = collected.rows(named=True)[0]
    return row


def _one_table(frame: nw.LazyFrame[Any]) -> list[tuple[int, int]]:
    return [(int(b), int(r)) for b, r in frame.collect(backend="polars").iter_rows()]


def _keyed(
    frame: nw.LazyFrame[Any], column: str, dtype: Any, *, listed: bool = False
) -> nw.LazyFrame[Any]:
    """The column and its key (UInt64, null where not an ID), row by row (ID by ID for a
    list column), as the frame's backend makes them (see
    :meth:`~compliance_frames.frames.backends.Backend.keyed`)."""
    from .backends import backend_of  # (the backends' table uses this module)

    return backend_of(frame).keyed(frame, column, dtype, listed=listed)


def _invalid(keyed: nw.LazyFrame[Any], column: str, count: int, what: str) -> InvalidIDError:
    """The error of a lazy frame's values that are not IDs: a few of them (a lazy frame has
    no row positions to name), and what kind they are, as an eager frame's error says it
    (the first :data:`~compliance_frames.frames.ids.CLASSIFIED` of them are looked at)."""
    values = (
        keyed.filter(nw.col(KEY).is_null())
        .select(column)
        .head(CLASSIFIED)
        .collect(backend="polars")
        .to_native()[column]
    )
    first = keyed.select(column, KEY).head(1).collect(backend="polars").rows()
    header = first[0][0] if first and first[0][1] is None else None
    examples = values.head(_EXAMPLES).to_list()
    shown = ", ".join("null" if v is None else repr(v) for v in examples)
    return invalid_error(
        column,
        count,
        f", such as {shown}",
        what,
        values,
        header=header,
        examples=[(None, value) for value in examples],
    )


def refused_values_error(
    frame: nw.LazyFrame[Any],
    column: str,
    refused: pl.Series,
    what: str,
    answer: str,
    listed: bool = False,
) -> InvalidIDError:
    """Which values of a lazy frame's column X refused (``refused``: their keys): how many
    rows hold them, and a few distinct ones (a lazy frame has no row positions to name)."""
    keyed = _keyed(frame, column, frame.collect_schema()[column], listed=listed)
    refused_keys = engine_keys(keyed, refused, KEY, keyed.collect_schema()[KEY])
    hit = keyed.join(refused_keys, on=KEY, how="semi")
    count = int(_one_row(hit.select(nw.len().alias("rows")))["rows"] or 0)
    distinct = hit.select(column).unique().sort(column).head(_EXAMPLES)
    examples = [value for (value,) in distinct.collect(backend="polars").iter_rows()]
    shown = ", ".join(repr(value) for value in examples)
    return InvalidIDError(
        refused_message(column, count, f"such as {shown}", what, answer),
        count=count,
        examples=[(None, value) for value in examples],
        hint=REFUSED_HINT,
    )
