"""Vectorised reading and writing of ID files: one decimal ID per line.

This is the one place that turns bytes into 64-bit IDs and back. The emulator uses
it to process uploads; the client uses it to validate and canonicalise the IDs it
uploads. It works chunk by chunk on numpy arrays, so a 10-million-line file never
becomes one Python string nor one Python object per line.

Example:
    >>> import io
    >>> [chunk.tolist() for chunk in scan_ids(io.BytesIO(b"12\\r\\n007\\n"))]
    [[12, 7]]
    >>> format_ids(np.array([7, 12], dtype=np.uint64))
    b'7\\n12\\n'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_DIGITS",
    "BadLine",
    "IDLinesError",
    "format_ids",
    "scan_ids",
]

MAX_DIGITS = 19
"""Tweet and user IDs are 64-bit snowflakes of at most 19 decimal digits."""

_CHUNK = 1 << 24
_NL = 10
_CR = 13
_ZERO = 48
_MAX_LINE_PREVIEW = 40
_POW10 = np.array([10**k for k in range(MAX_DIGITS + 1)], dtype=np.uint64)

U64Array = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class BadLine:
    """One line that is not a 1-19 digit decimal ID."""

    number: int
    """1-based line number in the file."""
    text: str
    """The line as read (shortened to 40 characters)."""

    def describe(self) -> str:
        """Say what is wrong with the line, e.g. ``line 3: 'abc'``."""
        return f"line {self.number}: {self.text!r}"


@dataclass
class IDLinesError(ValueError):
    """Raised after a scan that met lines which are not IDs."""

    count: int
    first: list[BadLine] = field(default_factory=list)

    def __str__(self) -> str:
        shown = "; ".join(bad.describe() for bad in self.first)
        more = f" (and {self.count - len(self.first)} more)" if self.count > len(self.first) else ""
        return f"{self.count} line(s) are not 1-19 digit decimal IDs: {shown}{more}"


def scan_ids(
    stream: BinaryIO,
    *,
    skip_blank: bool = False,
    max_reported: int = 5,
    chunk_size: int = _CHUNK,
) -> Iterator[U64Array]:
    """Yield the IDs of a one-ID-per-line byte stream as ``uint64`` arrays, chunk by chunk.

    Lines end in LF or CRLF; the last line may lack its newline. With ``skip_blank``,
    empty lines are ignored; otherwise they are errors. When any line is not a 1-19
    digit decimal ID, the scan still reads to the end (so the count is exact) and then
    raises :class:`IDLinesError` naming the first ``max_reported`` offending lines.
    """
    carry = b""
    line_offset = 0
    bad_count = 0
    bad_first: list[BadLine] = []
    while True:
        block = stream.read(chunk_size)
        at_eof = not block
        data = carry + block if carry else block
        if at_eof:
            if not data:
                break
            if not data.endswith(b"\n"):
                data += b"\n"
            carry = b""
        else:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            data = data[:cut]
        values, n_lines, n_bad, first = _scan_block(data, skip_blank, max_reported - len(bad_first))
        bad_count += n_bad
        bad_first.extend(BadLine(line_offset + index + 1, text) for index, text in first)
        line_offset += n_lines
        if values.size:
            yield values
        if at_eof:
            break
    if bad_count:
        raise IDLinesError(bad_count, bad_first)


def _scan_block(
    data: bytes, skip_blank: bool, n_report: int
) -> tuple[U64Array, int, int, list[tuple[int, str]]]:
    """Parse complete LF-terminated lines.

    Returns the IDs, the number of lines, the number of bad lines and the first
    ``n_report`` bad lines as (0-based index, text).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == _NL)
    n_lines = int(newlines.size)
    starts = np.empty(n_lines, dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    ends = newlines.astype(np.int64)
    has_cr = ends > starts
    has_cr[has_cr] = buf[ends[has_cr] - 1] == _CR
    ends[has_cr] -= 1
    lengths = ends - starts

    not_digit = (buf - np.uint8(_ZERO)) > 9
    not_digit[newlines] = False
    not_digit[ends[has_cr]] = False
    bad_lines = (lengths > MAX_DIGITS) | (lengths == 0)
    if skip_blank:
        bad_lines &= lengths != 0
    bad_positions = np.flatnonzero(not_digit)
    if bad_positions.size:
        bad_lines[np.searchsorted(newlines, bad_positions)] = True

    first: list[tuple[int, str]] = []
    for index in np.flatnonzero(bad_lines)[: max(n_report, 0)].tolist():
        raw = data[starts[index] : ends[index]]
        first.append((index, raw[:_MAX_LINE_PREVIEW].decode("utf-8", "replace")))
    keep = ~bad_lines
    if skip_blank:
        keep &= lengths != 0
    return _parse(buf, starts[keep], lengths[keep]), n_lines, int(bad_lines.sum()), first


def _parse(
    buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> U64Array:
    """Horner's rule over digit columns, vectorised across lines."""
    values = np.zeros(starts.size, dtype=np.uint64)
    if not starts.size:
        return values
    last = buf.size - 1
    for column in range(int(lengths.max())):
        active = lengths > column
        digits = buf[np.minimum(starts + column, last)].astype(np.uint64) - np.uint64(_ZERO)
        np.copyto(values, values * np.uint64(10) + digits, where=active)
    return values


def format_ids(values: U64Array) -> bytes:
    """Serialise IDs as decimal lines, each ending in LF (vectorised, no per-ID Python).

    The value is split into 9-digit limbs so digit extraction runs on ``uint32``,
    several times faster than ``uint64`` division.
    """
    values = np.ascontiguousarray(values, dtype=np.uint64)
    if not values.size:
        return b""
    billion = np.uint64(10**9)
    rest = values // billion
    limbs = (  # (limb, first column, width), least significant last
        ((rest // billion).astype(np.uint32), 0, 2),
        ((rest % billion).astype(np.uint32), 2, 9),
        ((values % billion).astype(np.uint32), 11, 9),
    )
    width = 20  # the longest uint64 has 20 digits
    columns = np.empty((width + 1, values.size), dtype=np.uint8)
    for limb, first, n_digits in limbs:
        for column in range(first + n_digits - 1, first - 1, -1):
            columns[column] = limb % np.uint32(10)
            limb //= np.uint32(10)
    columns += _ZERO
    columns[width] = _NL
    lengths = np.searchsorted(_POW10[1:], values, side="right") + 1
    keep = np.arange(width + 1)[None, :] >= (width - lengths)[:, None]
    data: bytes = columns.T[keep].tobytes()
    return data
