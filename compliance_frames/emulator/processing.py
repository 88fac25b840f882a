"""Turn an uploaded ID file into a results file, as the real service's batch job does.

The file is read in chunks of whole lines with polars (multi-threaded, no Python
object per line), each ID is validated, its outcome is either looked up in the
explicit ``events`` or derived from a hash of the ID (:mod:`.outcomes`), and the
events are formatted as NDJSON lines with vectorised string expressions (:mod:`.records`).

A line that is not an ID fails the whole job in the gcs flow; in the byte-path flow it
comes back as an ``invalid_id`` record (so does an ID above 2**63-1, which is no
snowflake), and blank lines are skipped.

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
    >>> _ = open(src, "wb").write(b"20\\n\\nx\\n")
    >>> process_upload(src, dst, "users", config, now=1.6e9)
    Outcome(n_ids=1, n_events=1, error=None, n_invalid=1)
"""

from __future__ import annotations

import io
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..idlines import line_blocks
from .config import EmulatorConfig
from .outcomes import outcomes
from .records import event_lines, invalid_lines

_IN_FLIGHT = 4
_CHUNK_BYTES = 8 << 20  # ~400 000 IDs a block; two blocks in work, four in flight
_NO_IDS = pl.Series(dtype=pl.UInt64)
_NO_LINES = pl.Series(dtype=pl.String)
_LIMIT = 10**19
_SNOWFLAKE_MAX = 2**63 - 1
_POWERS = np.array(
    [10**k for k in range(1, 20)], dtype=np.uint64
)  # a value has 1 + (powers <= it) digits


@dataclass(frozen=True)
class Outcome:
    """What processing an upload produced."""

    n_ids: int
    n_events: int
    error: str | None
    n_invalid: int = 0
    """Lines answered as ``invalid_id`` records (byte-path flow)."""


def process_upload(
    upload_path: str, results_path: str, job_type: str, config: EmulatorConfig, now: float
) -> Outcome:
    """Validate the uploaded IDs and write the results file (atomically).

    Blocks of lines are processed two at a time (polars and numpy release the GIL) and
    their results written in order. A line that is not a 1-19 digit ID stops
    processing in the gcs flow: the outcome carries an ``error`` naming the line and no
    results file is written. In the byte-path flow it is answered with an
    ``invalid_id`` record instead.
    """
    partial = results_path + ".partial"
    newline = "\r\n" if config.crlf else "\n"
    separator = newline * 2 if config.blank_lines else newline
    n_ids = n_events = n_invalid = 0
    try:
        with (
            open(upload_path, "rb") as source,
            open(partial, "wb") as sink,
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-block") as pool,
        ):
            pending: deque[Future[_Block]] = deque()
            first_line = 1  # of the next block to finish: they are taken in order
            blocks = line_blocks(source, _CHUNK_BYTES)
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
                    n_invalid += done.n_invalid
                    sink.write(done.text)
                if block is None and not pending:
                    break
        os.replace(partial, results_path)
        return Outcome(n_ids, n_events, None, n_invalid)
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
    n_invalid: int = 0


def _process_block(
    block: bytes, job_type: str, config: EmulatorConfig, now: float, separator: str
) -> _Block:
    if config.flow == "bytepath":
        ids, invalid = _parse_lenient(block)
    else:
        ids, bad = _parse_block(block)
        if bad is not None:
            return _Block(0, 0, 0, b"", bad)
        invalid = _NO_LINES
    found = outcomes(ids, job_type, config, now)
    lines = event_lines(found.events, job_type, config.flow)
    if found.invalid.len() or invalid.len():
        lines = pl.concat(
            [lines, invalid_lines(pl.concat([invalid, found.invalid.cast(pl.String)]))]
        )
    text = b""
    if lines.len():
        sink = io.BytesIO()
        lines.to_frame().write_csv(
            sink, include_header=False, quote_style="never", line_terminator=separator
        )
        text = sink.getvalue()
    n_invalid = invalid.len() + found.invalid.len()
    return _Block(ids.len(), ids.len(), found.events.height, text, None, n_invalid)


def _parse_block(block: bytes) -> tuple[pl.Series, tuple[int, str] | None]:
    """IDs of a block (one per line) as UInt64, or its first bad line (offset, text)."""
    ids = _plain_ids(block)
    if ids is not None:
        return ids, None
    try:
        lines = _read_lines(block)
    except pl.exceptions.PolarsError:
        # Only a line holding the separator byte gets here: find it the slow way.
        for offset, text in enumerate(block.split(b"\n")):
            if b"\x1f" in text:
                return _NO_IDS, (offset, text.decode("utf-8", "replace"))
        raise
    ids = lines.str.to_integer(dtype=pl.UInt64, strict=False)
    valid = _is_id(lines, ids)
    if not valid.all():
        offset = int(valid.arg_min() or 0)
        return _NO_IDS, (offset, lines[offset] or "")
    return ids, None


def _parse_lenient(block: bytes) -> tuple[pl.Series, pl.Series]:
    """Byte-path flow: the block's IDs (UInt64) and its lines that are not IDs.

    Blank lines are skipped; a line's trailing CR is not part of it; an ID must have
    1-19 decimal digits and be at most 2**63-1 (a signed 64-bit snowflake).
    """
    ids = _plain_ids(block)
    if ids is not None and (not ids.len() or ids.max() <= _SNOWFLAKE_MAX):  # type: ignore[operator]
        return ids, _NO_LINES
    try:
        lines = _read_lines(block, lossy=True)
    except pl.exceptions.PolarsError:  # a line holding the separator byte: split by hand
        text = block.decode("utf-8", "replace")
        lines = pl.Series("line", [text]).str.split("\n").explode().str.strip_suffix("\r")
    lines = lines.filter(lines.is_not_null() & (lines.str.strip_chars() != ""))
    numbers = lines.str.to_integer(dtype=pl.UInt64, strict=False)
    valid = (_is_id(lines, numbers) & (numbers <= _SNOWFLAKE_MAX)).fill_null(False)
    return numbers.filter(valid), lines.filter(~valid)


def _read_lines(block: bytes, *, lossy: bool = False) -> pl.Series:
    """A block's lines as strings (a PolarsError if a line holds the separator byte)."""
    return pl.read_csv(
        io.BytesIO(block),
        has_header=False,
        schema={"line": pl.String},
        quote_char=None,
        separator="\x1f",
        encoding="utf8-lossy" if lossy else "utf8",
    )["line"]


def _is_id(lines: pl.Series, numbers: pl.Series) -> pl.Series:
    """Same as matching ^[0-9]{1,19}$ (``numbers``: the lines as integers), at half the
    cost: to_integer refuses all but an optional leading '+' and digits, and blank lines
    are nulls."""
    return (
        numbers.is_not_null() & (lines.str.len_bytes() <= 19) & ~lines.str.starts_with("+")
    ).fill_null(False)


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
