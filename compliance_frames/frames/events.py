"""Results files as typed polars frames, and one row per ID for joining back.

Both generations of the results format are read: the older one (action ``delete``, geo
scrubbing as reason ``scrub_geo``, possibly several events per ID) and the one of
September 2026 (one event per ID; actions ``delete``, ``rehydrate`` for an edited post and
``scrub_geo``; reasons ``tweet_edited`` and ``geo_scrubbed``; ``deleted_at`` as an alias of
``redacted_at``; ``{"id": "<the line>", "error": "invalid_id"}`` for an ID X refused).

Example:
    >>> frame = read_results(b'{"id":"20","action":"delete",'
    ...                      b'"created_at":"2013-03-26T02:46:15+00:00",'
    ...                      b'"reason":"protected"}\\r\\n\\r\\n')
    >>> frame.schema["created_at"], frame["reason"].to_list()
    (Datetime(time_unit='us', time_zone='UTC'), ['protected'])
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ..client.records import FIELDS, first_bad_line, read_bytes
from .flags import flag_expressions

__all__ = [
    "PRECEDENCE",
    "RESULTS_SCHEMA",
    "per_id",
    "read_results",
    "refused",
]

UTC_MICROS = pl.Datetime("us", "UTC")
RESULTS_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "action": pl.Categorical(),
    "created_at": UTC_MICROS,
    "redacted_at": UTC_MICROS,
    "reason": pl.Categorical(),
    "error": pl.String(),
}
"""The columns of :func:`read_results`, always these, in this order.

``action`` and ``reason`` are X's words as sent. ``redacted_at`` is the event's time:
``redacted_at``, else its alias ``deleted_at``, else null. ``error`` is null for events;
for an ID that X refused (a malformed line) it holds X's answer (``invalid_id``), and
that record has no action, reason or times."""

PRECEDENCE = {
    "deleted": 0,
    "suspended": 1,
    "deactivated": 2,
    "protected": 3,
    "tweet_edited": 5,
    "scrub_geo": 6,
    "geo_scrubbed": 6,
}
"""When an ID has several events (older files), its ``reason`` is the one ranked first
here (a reason this version does not know ranks 4, after protected and before
tweet_edited); among equals, the latest ``redacted_at``. Flags are set for every event."""
_UNKNOWN_RANK = 4

_RAW = {name: pl.String() for name in FIELDS}


def read_results(source: Any) -> pl.DataFrame:
    """Read compliance results (NDJSON) into a polars frame with a fixed schema.

    ``source``: a path, the bytes of a file, several paths, or a
    :class:`~compliance_frames.JobResult`. Tolerates blank lines, CRLF, a missing
    final newline, both timestamp styles (``...039.022Z`` and ``...+00:00``), a missing
    or null ``redacted_at`` (``deleted_at`` stands in for it), extra fields (ignored) and
    reasons this version does not know (kept). The columns are those of
    :data:`RESULTS_SCHEMA`; an ID that X refused keeps its record, with ``error`` set
    (``invalid_id``) and no action or reason. A line that is not a JSON object raises,
    naming its line. An empty file gives an empty frame with the same schema.

    Example:
        >>> read_results(b"").schema == pl.Schema(RESULTS_SCHEMA)
        True
        >>> frame = read_results(
        ...     b'{"id":"7","action":"delete","redacted_at":null,'
        ...     b'"deleted_at":"2020-07-29T17:02:47.000Z","reason":"deleted"}\\n'
        ...     b'{"id":"x7","error":"invalid_id"}\\n')
        >>> frame["redacted_at"].dt.year().to_list(), frame["error"].to_list()
        ([2020, None], [None, 'invalid_id'])
    """
    return read_events(source, created_at=True)


def read_events(source: Any, *, created_at: bool) -> pl.DataFrame:
    """:func:`read_results`, or without ``created_at`` (which the flags do not need)."""
    schema = _RAW if created_at else {k: v for k, v in _RAW.items() if k != "created_at"}
    frames = [_read_one(data, origin, schema) for data, origin in _sources(source)]
    if not frames:
        frames = [pl.DataFrame(schema=schema)]
    raw = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    return raw.select(
        pl.col("id"),
        pl.col("action").cast(pl.Categorical()),
        *([_timestamp("created_at")] if created_at else []),
        # redacted_at, else its alias deleted_at: chosen as text, parsed once.
        _timestamp(pl.coalesce("redacted_at", "deleted_at")).alias("redacted_at"),
        pl.col("reason").cast(pl.Categorical()),
        pl.col("error"),
    )


def _sources(source: Any) -> list[tuple[Path | bytes, str]]:
    """Each results file as a path (read by polars itself) or as bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return [(bytes(source), "the results")]
    if isinstance(source, (str, os.PathLike)):
        return [(Path(source), str(source))]
    paths = getattr(source, "paths", None)  # a JobResult
    if paths is not None:
        return [(Path(p), str(p)) for p in paths]
    if isinstance(source, Sequence):
        return [(Path(p), str(p)) for p in source]
    raise TypeError(
        f"read_results() takes a path, bytes or a JobResult, not {type(source).__name__}"
    )


def _read_one(data: Path | bytes, origin: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """One file, parsed by polars at full speed; only when that fails (or an ``id`` is
    missing) is it read again line by line, by the client's one results-line reader
    (:func:`~compliance_frames.client.records.first_bad_line`), to say which line."""
    size = len(data) if isinstance(data, bytes) else data.stat().st_size
    if not size or (isinstance(data, bytes) and not data.strip()):
        return pl.DataFrame(schema=schema)
    try:
        frame = pl.read_ndjson(io.BytesIO(data) if isinstance(data, bytes) else data, schema=schema)
    except pl.exceptions.PolarsError:
        raise first_bad_line(read_bytes(data), origin) from None
    if frame["id"].null_count():
        raise first_bad_line(read_bytes(data), origin)
    return frame


def _timestamp(column: str | pl.Expr) -> pl.Expr:
    text = pl.col(column) if isinstance(column, str) else column
    return text.str.to_datetime(format="%+", time_zone="UTC", time_unit="us", strict=False)


def per_id(results: pl.DataFrame) -> pl.DataFrame:
    """One row per ID with an event: ``key`` (UInt64), ``reason``, ``action``,
    ``redacted_at`` of its deciding event (see :data:`PRECEDENCE`) and a boolean per flag
    in :data:`~compliance_frames.reasons.FLAGS` set by any of its events (see ``FLAG_REASONS``
    and ``FLAG_ACTIONS`` there). Records of IDs that X refused (with an ``error``) are not
    events: see :func:`refused`.

    Example:
        >>> results = read_results(
        ...     b'{"id":"7","created_at":"2020-01-01T00:00:00.000Z","reason":"scrub_geo"}\\n'
        ...     b'{"id":"7","created_at":"2020-01-01T00:00:00.000Z","reason":"deleted"}\\n'
        ...     b'{"id":"8","action":"rehydrate","reason":"tweet_edited"}\\n'
        ...     b'{"id":"9","error":"invalid_id"}\\n')
        >>> table = per_id(results).sort("key")
        >>> table["key"].to_list(), table["reason"].cast(pl.String).to_list()
        ([7, 8], ['deleted', 'tweet_edited'])
        >>> table["deleted"].to_list(), table["scrub_geo"].to_list(), table["edited"].to_list()
        ([True, False], [True, False], [False, True])
    """
    if "error" in results.columns and results["error"].null_count() < results.height:
        results = results.filter(pl.col("error").is_null())
    keyed = results.with_columns(
        pl.col("id").str.to_integer(dtype=pl.UInt64, strict=False).alias("key")
    )
    flags = flag_expressions(pl.col("reason"), pl.col("action"))  # categoricals: no strings
    if keyed["key"].n_unique() == keyed.height:  # the usual case: one event per ID
        return keyed.select("key", "reason", "action", "redacted_at", *flags)
    ranked = keyed.with_columns(
        pl.col("reason")
        .cast(pl.String)
        .replace_strict(PRECEDENCE, default=_UNKNOWN_RANK, return_dtype=pl.Int8)
        .alias("rank"),
    )
    deciding = (
        ranked.sort(
            ["key", "rank", "redacted_at"], descending=[False, False, True], nulls_last=True
        )
        .unique("key", keep="first", maintain_order=True)
        .select("key", "reason", "action", "redacted_at")
    )
    flags_by_key = ranked.group_by("key").agg(flag.any() for flag in flags)
    return deciding.join(flags_by_key, on="key", how="left")


def refused(results: pl.DataFrame) -> pl.DataFrame:
    """The IDs that X refused (records with an ``error``, such as ``invalid_id``): one row
    per ID, ``key`` (UInt64, ascending) and ``error``. A record whose ``id`` is not a
    decimal ID cannot name a row of the frame and is left out.

    Example:
        >>> results = read_results(b'{"id":"9999999999999999999","error":"invalid_id"}\\n'
        ...                        b'{"id":"8","action":"delete","reason":"deleted"}\\n')
        >>> refused(results).rows()
        [(9999999999999999999, 'invalid_id')]
    """
    if "error" not in results.columns:
        results = results.with_columns(pl.lit(None, dtype=pl.String).alias("error"))
    return (
        results.filter(pl.col("error").is_not_null())
        .select(pl.col("id").str.to_integer(dtype=pl.UInt64, strict=False).alias("key"), "error")
        .drop_nulls("key")
        .unique("key", keep="first")
        .sort("key")
    )
