"""Results files as typed polars frames, and one row per ID for joining back.

Example:
    >>> frame = read_results(b'{"id":"20","action":"delete",'
    ...                      b'"created_at":"2013-03-26T02:46:15+00:00",'
    ...                      b'"reason":"protected"}\\r\\n\\r\\n')
    >>> frame.schema["created_at"], frame["reason"].to_list()
    (Datetime(time_unit='us', time_zone='UTC'), ['protected'])
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import ComplianceError

__all__ = ["FLAGS", "PRECEDENCE", "REMOVAL_REASONS", "RESULTS_SCHEMA", "per_id", "read_results"]

UTC_MICROS = pl.Datetime("us", "UTC")
RESULTS_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "action": pl.Categorical(),
    "created_at": UTC_MICROS,
    "redacted_at": UTC_MICROS,
    "reason": pl.Categorical(),
}
"""The columns of :func:`read_results`, always these, in this order."""

FLAGS = ("deleted", "suspended", "protected", "scrub_geo", "deactivated")
"""The reasons that get a boolean flag column of their own."""

REMOVAL_REASONS = ("deleted", "suspended", "protected", "deactivated")
"""Reasons that oblige a researcher to remove the tweet (scrub_geo only strips geo data)."""

PRECEDENCE = {"deleted": 0, "suspended": 1, "deactivated": 2, "protected": 3, "scrub_geo": 5}
"""When an ID has several events, its ``reason`` is the one ranked first here
(a reason this version does not know ranks 4, before scrub_geo); among equals, the
latest ``redacted_at``. Flags are set for every event."""
_UNKNOWN_RANK = 4

_RAW = {name: pl.String() for name in RESULTS_SCHEMA}


def read_results(source: Any) -> pl.DataFrame:
    """Read compliance results (NDJSON) into a polars frame with a fixed schema.

    ``source``: a path, the bytes of a file, several paths, or a
    :class:`~compliance_frames.JobResult`. Tolerates blank lines, CRLF, a missing
    final newline, both timestamp styles (``...039.022Z`` and ``...+00:00``), a missing
    ``redacted_at``, extra fields (ignored) and reasons this version does not know
    (kept). A line that is not a JSON object raises, naming its line. An empty file
    gives an empty frame with the same schema.

    Example:
        >>> read_results(b"").schema == pl.Schema(RESULTS_SCHEMA)
        True
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
        _timestamp("redacted_at"),
        pl.col("reason").cast(pl.Categorical()),
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
    size = len(data) if isinstance(data, bytes) else data.stat().st_size
    if not size or (isinstance(data, bytes) and not data.strip()):
        return pl.DataFrame(schema=schema)
    try:
        frame = pl.read_ndjson(io.BytesIO(data) if isinstance(data, bytes) else data, schema=schema)
    except pl.exceptions.PolarsError:
        raise _malformed(_bytes(data), origin) from None
    if frame["id"].null_count():
        raise _malformed(_bytes(data), origin, missing_id=True)
    return frame


def _bytes(data: Path | bytes) -> bytes:
    return data if isinstance(data, bytes) else data.read_bytes()


def _malformed(data: bytes, origin: str, missing_id: bool = False) -> ComplianceError:
    """Find the first bad line (slowly: only when reading failed) and say which it is."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            problem = "is not valid JSON"
        else:
            if not isinstance(record, dict):
                problem = "is not a JSON object"
            elif missing_id and record.get("id") is None:
                problem = "has no 'id'"
            else:
                continue
        shown = line.strip()[:80].decode("utf-8", "replace")
        return ComplianceError(
            f"{origin}: line {number} {problem}: {shown!r}. Results files hold one JSON object "
            "per line; download the results again if the file was cut short."
        )
    return ComplianceError(f"{origin} could not be read as NDJSON results.")


def _timestamp(name: str) -> pl.Expr:
    return pl.col(name).str.to_datetime(format="%+", time_zone="UTC", time_unit="us", strict=False)


def per_id(results: pl.DataFrame) -> pl.DataFrame:
    """One row per ID: ``key`` (UInt64), ``reason``, ``action``, ``redacted_at`` of its
    deciding event (see :data:`PRECEDENCE`) and a boolean per reason in :data:`FLAGS`
    set by any of its events.

    Example:
        >>> results = read_results(
        ...     b'{"id":"7","created_at":"2020-01-01T00:00:00.000Z","reason":"scrub_geo"}\\n'
        ...     b'{"id":"7","created_at":"2020-01-01T00:00:00.000Z","reason":"deleted"}\\n')
        >>> row = per_id(results).row(0, named=True)
        >>> row["reason"], row["deleted"], row["scrub_geo"], row["suspended"]
        ('deleted', True, True, False)
    """
    reason = pl.col("reason").cast(pl.String)
    keyed = results.with_columns(
        pl.col("id").str.to_integer(dtype=pl.UInt64, strict=False).alias("key")
    )
    if keyed["key"].n_unique() == keyed.height:  # the usual case: one event per ID
        flags = [(reason == flag).fill_null(False).alias(flag) for flag in FLAGS]
        return keyed.select("key", "reason", "action", "redacted_at", *flags)
    ranked = keyed.with_columns(
        reason.replace_strict(PRECEDENCE, default=_UNKNOWN_RANK, return_dtype=pl.Int8).alias(
            "rank"
        ),
    )
    deciding = (
        ranked.sort(
            ["key", "rank", "redacted_at"], descending=[False, False, True], nulls_last=True
        )
        .unique("key", keep="first", maintain_order=True)
        .select("key", "reason", "action", "redacted_at")
    )
    flags_by_key = ranked.group_by("key").agg((reason == flag).any().alias(flag) for flag in FLAGS)
    return deciding.join(flags_by_key, on="key", how="left")
