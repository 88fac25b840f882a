"""Turn an uploaded ID file into a results file, as the real service's batch job does.

The file is read in chunks of whole lines with polars (multi-threaded, no Python
object per line), each ID is validated, its outcome is either looked up in the
explicit ``events`` or derived from a hash of the ID, and the events are formatted
as NDJSON lines with vectorised string expressions.

Example:
    >>> import tempfile, os
    >>> from compliance_frames.emulator.config import EmulatorConfig
    >>> folder = tempfile.mkdtemp()
    >>> src, dst = os.path.join(folder, "in"), os.path.join(folder, "out")
    >>> _ = open(src, "wb").write(b"1265324480517361664\\n20\\n")
    >>> config = EmulatorConfig(events={"20": "suspended"})
    >>> outcome = process_upload(src, dst, "users", config, now=1.6e9)
    >>> outcome.n_ids, outcome.n_events, outcome.error
    (2, 1, None)
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from .config import REASONS, EmulatorConfig, EventSpec
from .jobs import TWITTER_EPOCH_MS

_IN_FLIGHT = 4
_CHUNK_BYTES = 8 << 20  # ~400 000 IDs a block; two blocks in work, four in flight
_NO_IDS = pl.Series(dtype=pl.UInt64)
_LIMIT = 10**19
_POWERS = np.array(
    [10**k for k in range(1, 20)], dtype=np.uint64
)  # a value has 1 + (powers <= it) digits
_USERS_SNOWFLAKE_START = 2**32
_EARLIEST_USER_MS = 1142899200000  # 2006-03-21, the first accounts
_SNOWFLAKE_USERS_MS = 1356998400000  # 2013-01-01
_TIME_FORMAT = {"tweets": "%Y-%m-%dT%H:%M:%S%.3fZ", "users": "%Y-%m-%dT%H:%M:%S+00:00"}
_TYPE_SALT = {"tweets": 0x7477656574730000, "users": 0x7573657273000000}


@dataclass(frozen=True)
class Outcome:
    """What processing an upload produced."""

    n_ids: int
    n_events: int
    error: str | None


def process_upload(
    upload_path: str, results_path: str, job_type: str, config: EmulatorConfig, now: float
) -> Outcome:
    """Validate the uploaded IDs and write the results file (atomically).

    Blocks of lines are processed two at a time (polars and numpy release the GIL) and
    their results written in order. A line that is not a 1-19 digit ID stops
    processing: the outcome carries an ``error`` naming the line and no results file
    is written.
    """
    partial = results_path + ".partial"
    newline = "\r\n" if config.crlf else "\n"
    separator = newline * 2 if config.blank_lines else newline
    n_ids = n_events = 0
    try:
        with (
            open(upload_path, "rb") as source,
            open(partial, "wb") as sink,
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-block") as pool,
        ):
            pending: deque[Future[_Block]] = deque()
            first_line = 1  # of the next block to finish: they are taken in order
            blocks = _line_blocks(source)
            while True:
                block = next(blocks, None)
                if block is not None:
                    work = (block, job_type, config, now, separator)
                    pending.append(pool.submit(_process_block, *work))
                if pending and (block is None or len(pending) >= _IN_FLIGHT):
                    done = pending.popleft().result()
                    if done.bad is not None:
                        for future in pending:
                            future.cancel()
                        offset, text = done.bad
                        return Outcome(n_ids, 0, _bad_line(first_line + offset, text))
                    first_line += done.n_lines
                    n_ids += done.n_ids
                    n_events += done.n_events
                    sink.write(done.text)
                if block is None and not pending:
                    break
        os.replace(partial, results_path)
        return Outcome(n_ids, n_events, None)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


@dataclass(frozen=True)
class _Block:
    """What one block of lines gave: its counts and results, or its first bad line."""

    n_lines: int
    n_ids: int
    n_events: int
    text: bytes
    bad: tuple[int, str] | None  # (0-based line within the block, the line)


def _process_block(
    block: bytes, job_type: str, config: EmulatorConfig, now: float, separator: str
) -> _Block:
    ids, bad = _parse_block(block)
    if bad is not None:
        return _Block(0, 0, 0, b"", bad)
    events = _events(ids, job_type, config, now)
    text = b""
    if events.height:
        sink = io.BytesIO()
        _format(events, job_type).to_frame().write_csv(
            sink, include_header=False, quote_style="never", line_terminator=separator
        )
        text = sink.getvalue()
    return _Block(ids.len(), ids.len(), events.height, text, None)


def _line_blocks(source: io.BufferedReader) -> Iterator[bytes]:
    """Yield the file as blocks of whole lines (the last may lack its newline)."""
    carry = b""
    while True:
        data = source.read(_CHUNK_BYTES)
        if not data:
            if carry:
                yield carry
            return
        data = carry + data if carry else data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]


def _parse_block(block: bytes) -> tuple[pl.Series, tuple[int, str] | None]:
    """IDs of a block (one per line) as UInt64, or its first bad line (offset, text)."""
    ids = _plain_ids(block)
    if ids is not None:
        return ids, None
    try:
        lines = pl.read_csv(
            io.BytesIO(block),
            has_header=False,
            schema={"line": pl.String},
            quote_char=None,
            separator="\x1f",
        )["line"]
    except pl.exceptions.PolarsError:
        # Only a line holding the separator byte gets here: find it the slow way.
        for offset, text in enumerate(block.split(b"\n")):
            if b"\x1f" in text:
                return _NO_IDS, (offset, text.decode("utf-8", "replace"))
        raise
    # Same as matching ^[0-9]{1,19}$, at half the cost: to_integer refuses all but
    # an optional leading '+' and digits, and blank lines are nulls.
    ids = lines.str.to_integer(dtype=pl.UInt64, strict=False)
    valid = (
        ids.is_not_null() & (lines.str.len_bytes() <= 19) & ~lines.str.starts_with("+")
    ).fill_null(False)
    if not valid.all():
        offset = int(valid.arg_min() or 0)
        return _NO_IDS, (offset, lines[offset] or "")
    return ids, None


def _plain_ids(block: bytes) -> pl.Series | None:
    """The fast path: the block read as numbers, if every line is exactly a number's digits.

    When the digit counts of the values plus the newlines add up to the block's length,
    no line had a sign, padding, spaces, a CR or was blank. Otherwise None: the exact
    (slower) string path decides, and names the bad line if there is one.
    """
    try:
        ids = pl.read_csv(
            io.BytesIO(block),
            has_header=False,
            schema={"id": pl.UInt64},
            quote_char=None,
            separator="\x1f",
        )["id"]
    except pl.exceptions.PolarsError:
        return None
    if ids.null_count() or (ids.len() and ids.max() >= _LIMIT):  # type: ignore[operator]
        return None
    digits = int(np.searchsorted(_POWERS, ids.to_numpy(), side="right").sum()) + ids.len()
    newlines = ids.len() - (0 if block.endswith(b"\n") else 1)  # one per line but the last
    return ids if digits + newlines == len(block) else None


def _bad_line(number: int, text: str) -> str:
    if not text.strip():
        return f"Invalid file: line {number} is empty; expected one Tweet or user ID per line."
    return (
        f"Invalid file: line {number} ({text[:40]!r}) is not a Tweet or user ID; "
        "expected one 1-19 digit decimal ID per line."
    )


def _events(ids: pl.Series, job_type: str, config: EmulatorConfig, now: float) -> pl.DataFrame:
    """The events of a block: one row per event, columns id, reason, action, created, redacted."""
    explicit = config.events_for(job_type)
    if explicit is not None:
        return _explicit_events(ids, explicit, job_type, config, now)
    values = ids.to_numpy()
    unit = _uniform(values, config.seed ^ _TYPE_SALT[job_type])
    reasons = [reason for reason in REASONS[job_type] if config.rates.get(job_type, {}).get(reason)]
    rates = np.array([config.rates[job_type][reason] for reason in reasons], dtype=np.float64)
    bounds = np.cumsum(rates)
    hit = unit < (bounds[-1] if bounds.size else 0.0)
    values = values[hit]
    codes = np.searchsorted(bounds, unit[hit], side="right")
    created = _created_ms(values, job_type, config.seed)
    redacted = _redacted_ms(values, created, config, now)
    return pl.DataFrame(
        {
            "id": pl.Series(values, dtype=pl.UInt64),
            "reason": pl.Series(reasons, dtype=pl.String).gather(codes),
            "action": pl.repeat("delete", len(values), eager=True, dtype=pl.String),
            "created": pl.Series(created, dtype=pl.Int64),
            "redacted": pl.Series(redacted, nan_to_null=True).cast(pl.Int64),
        }
    )


def _explicit_events(
    ids: pl.Series,
    events: dict[int, list[EventSpec]],
    job_type: str,
    config: EmulatorConfig,
    now: float,
) -> pl.DataFrame:
    named = np.fromiter(events, dtype=np.uint64, count=len(events))
    values = ids.to_numpy()
    found = values[np.isin(values, named)]
    rows: dict[str, list[object]] = {
        k: [] for k in ("id", "reason", "action", "created", "redacted")
    }
    created = _created_ms(found, job_type, config.seed)
    derived = _redacted_ms(found, created, config, now, missing=0.0)
    for index, value in enumerate(found.tolist()):
        for spec in events[value]:
            rows["id"].append(value)
            rows["reason"].append(spec.reason)
            rows["action"].append(spec.action)
            rows["created"].append(
                spec.created_at if spec.created_at is not None else int(created[index])
            )
            if spec.omit_redacted_at:
                rows["redacted"].append(None)
            else:
                rows["redacted"].append(
                    spec.redacted_at if spec.redacted_at is not None else int(derived[index])
                )
    schema = {
        "id": pl.UInt64,
        "reason": pl.String,
        "action": pl.String,
        "created": pl.Int64,
        "redacted": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def _format(events: pl.DataFrame, job_type: str) -> pl.Series:
    """One NDJSON line per event, key order as in the documentation."""
    fmt = _TIME_FORMAT[job_type]

    def stamp(column: str) -> pl.Expr:
        return pl.from_epoch(pl.col(column), time_unit="ms").dt.strftime(fmt)

    redacted = (
        pl.when(pl.col("redacted").is_not_null())
        .then(pl.concat_str([pl.lit('","redacted_at":"'), stamp("redacted")]))
        .otherwise(pl.lit(""))
    )
    line = pl.concat_str(
        [
            pl.lit('{"id":"'),
            pl.col("id").cast(pl.String),
            pl.lit('","action":"'),
            pl.col("action"),
            pl.lit('","created_at":"'),
            stamp("created"),
            redacted,
            pl.lit('","reason":"'),
            pl.col("reason"),
            pl.lit('"}'),
        ]
    )
    return events.select(line.alias("line"))["line"]


def _mix(values: npt.NDArray[np.uint64], salt: int) -> npt.NDArray[np.uint64]:
    """splitmix64: a fast, well-spread, deterministic hash of each ID."""
    with np.errstate(over="ignore"):
        z = values ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        mixed: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
        return mixed


def _uniform(values: npt.NDArray[np.uint64], salt: int) -> npt.NDArray[np.float64]:
    """A number in [0, 1) per ID, the same for the same ID and salt."""
    unit: npt.NDArray[np.float64] = (_mix(values, salt) >> np.uint64(11)).astype(np.float64)
    return unit * (1.0 / (1 << 53))


def _created_ms(values: npt.NDArray[np.uint64], job_type: str, seed: int) -> npt.NDArray[np.int64]:
    """Creation time: from the snowflake for tweets and newer accounts, else derived."""
    from_snowflake: npt.NDArray[np.int64] = (values >> np.uint64(22)).astype(np.int64)
    from_snowflake += TWITTER_EPOCH_MS
    if job_type == "tweets":
        return from_snowflake
    spread = _SNOWFLAKE_USERS_MS - _EARLIEST_USER_MS
    legacy = _EARLIEST_USER_MS + (_uniform(values, seed ^ 0xC2EA7ED) * spread).astype(np.int64)
    legacy -= legacy % 1000  # account timestamps have whole seconds
    created: npt.NDArray[np.int64] = np.where(
        values >= np.uint64(_USERS_SNOWFLAKE_START), from_snowflake - from_snowflake % 1000, legacy
    )
    return created


def _redacted_ms(
    values: npt.NDArray[np.uint64],
    created: npt.NDArray[np.int64],
    config: EmulatorConfig,
    now: float,
    missing: float | None = None,
) -> npt.NDArray[np.float64]:
    """When the event happened; NaN where the field is absent.

    Between creation and the start of the current UTC day: never in the future, and
    the same for the same ID all day long, so reruns give identical files.
    """
    day_ms = 86_400_000
    now_ms = int(now * 1000) // day_ms * day_ms
    share = _uniform(values, config.seed ^ 0x4EDAC7ED)
    redacted = created + (share * np.maximum(now_ms - created, 0)).astype(np.int64)
    absent = _uniform(values, config.seed ^ 0xAB5E27) < (
        config.redacted_at_missing if missing is None else missing
    )
    return np.where(absent, np.nan, redacted.astype(np.float64))
