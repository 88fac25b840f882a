"""The lines of a results file, built with vectorised string expressions.

gcs flow (2021-2026), the documentation's key order, ``redacted_at`` left out when absent::

    {"id":"20","action":"delete","created_at":"...","redacted_at":"...","reason":"deleted"}

byte-path flow (2026): ``redacted_at`` always present (``null`` when unknown), and
``deleted_at`` (the same time) on deletions; lines that are not IDs come back as
``{"id":"<the line>","error":"invalid_id"}``.

Example:
    >>> import polars as pl
    >>> events = pl.DataFrame(
    ...     {"id": [20], "reason": ["deleted"], "action": ["delete"],
    ...      "created": [0], "at": [1000], "redacted": [None]},
    ...     schema={"id": pl.UInt64, "reason": pl.String, "action": pl.String,
    ...             "created": pl.Int64, "at": pl.Int64, "redacted": pl.Int64},
    ... )
    >>> print(event_lines(events, "users", "bytepath")[0])
    {"id":"20","action":"delete","created_at":"1970-01-01T00:00:00+00:00","redacted_at":null,"deleted_at":"1970-01-01T00:00:01+00:00","reason":"deleted"}
    >>> invalid_lines(pl.Series(['a"b'])).to_list()
    ['{"id":"a\\\\"b","error":"invalid_id"}']
"""

from __future__ import annotations

import polars as pl

from .config import INVALID_ID

TIME_FORMAT = {"tweets": "%Y-%m-%dT%H:%M:%S%.3fZ", "users": "%Y-%m-%dT%H:%M:%S+00:00"}


def event_lines(events: pl.DataFrame, job_type: str, flow: str) -> pl.Series:
    """One NDJSON line per event (columns of :data:`outcomes.SCHEMA`)."""
    fmt = TIME_FORMAT[job_type]

    def stamp(column: str) -> pl.Expr:
        return pl.from_epoch(pl.col(column), time_unit="ms").dt.strftime(fmt)

    if flow == "bytepath":
        # The event time is formatted once, for redacted_at and deleted_at (the same
        # value, or redacted_at null): strftime is the costly part.
        events = events.with_columns(at_text=pl.concat_str([pl.lit('"'), stamp("at"), pl.lit('"')]))
        times = [
            pl.lit('","created_at":"'),
            stamp("created"),
            pl.lit('","redacted_at":'),
            pl.when(pl.col("redacted").is_not_null())
            .then(pl.col("at_text"))
            .otherwise(pl.lit("null")),
            pl.when(pl.col("action") == "delete")
            .then(pl.concat_str([pl.lit(',"deleted_at":'), pl.col("at_text")]))
            .otherwise(pl.lit("")),
            pl.lit(',"reason":"'),
        ]
    else:
        times = [
            pl.lit('","created_at":"'),
            stamp("created"),
            pl.when(pl.col("redacted").is_not_null())
            .then(pl.concat_str([pl.lit('","redacted_at":"'), stamp("redacted")]))
            .otherwise(pl.lit("")),
            pl.lit('","reason":"'),
        ]
    line = pl.concat_str(
        [
            pl.lit('{"id":"'),
            pl.col("id").cast(pl.String),
            pl.lit('","action":"'),
            pl.col("action"),
            *times,
            pl.col("reason"),
            pl.lit('"}'),
        ]
    )
    return events.select(line.alias("line"))["line"]


def invalid_lines(lines: pl.Series) -> pl.Series:
    """One ``{"id": <line>, "error": "invalid_id"}`` NDJSON line per line given (JSON-escaped)."""
    frame = pl.DataFrame({"id": lines.cast(pl.String)})
    return frame.select(
        pl.struct(pl.col("id"), error=pl.lit(INVALID_ID)).struct.json_encode().alias("line")
    )["line"]
