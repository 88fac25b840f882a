"""Sets of IDs ready to upload: validated, de-duplicated, sorted, in a file.

The canonical file (one decimal ID per line, ascending, unique) is what is uploaded,
and the SHA-256 of the same IDs (as ascending little-endian 64-bit integers) names
the job: the same IDs always give the same job name, whatever their order, duplicates
or source. That is what lets a rerun find its job again.

Example:
    >>> ids = IdSet.from_ids([20, "10", 20])
    >>> ids.count, ids.path.read_bytes()
    (2, b'10\\n20\\n')
    >>> ids.job_name("tweets")[:12]
    'cf-tweets-2-'
    >>> ids.discard()
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import hashlib
import io
import os
import tempfile
import typing
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from ..errors import InvalidIDError
from ..hints import Choice, Hint
from ..idlines import (
    MAX_DIGITS,
    IDLinesError,
    ScanNotes,
    fix_choices,
    format_ids,
    kind_notes,
    scan_ids,
    sorted_unique,
    user_stacklevel,
)

NAME_PREFIX = "cf-"
"""Jobs named by compliance-frames start with this."""

MIN_UPLOAD_BYTES = MAX_DIGITS + 1
"""The smallest upload that holds any ID: 19 digits and a newline."""

_LIMIT = 10**MAX_DIGITS
_BLOCK = 500_000
_FORMATTERS = max(1, min(4, os.cpu_count() or 1))
"""Threads formatting blocks of IDs side by side (numpy releases the GIL)."""
_SPLIT_BLOCK = 1 << 22
_MAX_EXAMPLES = 5


_LIVE: set[Path] = set()
"""The temporary files of IdSets not yet discarded: removed at exit at the latest."""


@atexit.register
def _discard_all() -> None:
    for path in list(_LIVE):
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class IdSet:
    """A canonical file of unique IDs, ascending, with its count and digest.

    A temporary file (``temporary=True``) is removed by :meth:`discard`, or when the
    interpreter exits (a script that ended with a job still running, for instance).
    """

    path: Path
    count: int
    digest: str
    temporary: bool = True
    part: tuple[int, int] | None = None
    offset: int = 0
    """Where the set's lines start in ``path`` (a part of a larger set is a byte range
    of its file, not a copy)."""
    length: int | None = None
    """How many bytes of ``path`` from ``offset`` (None: to the end)."""

    def __post_init__(self) -> None:
        if self.temporary:
            _LIVE.add(self.path)

    # -- building -----------------------------------------------------------------------

    @staticmethod
    def hasher() -> Any:
        """A fresh hash for :meth:`digest_of`, to feed ascending chunks of IDs."""
        return hashlib.sha256()

    @staticmethod
    def digest_of(unique: npt.NDArray[np.uint64]) -> str:
        """The digest of ascending unique IDs: SHA-256 of their little-endian 64-bit bytes."""
        data = np.ascontiguousarray(unique, dtype="<u8")
        digest = IdSet.hasher()
        # The array's own buffer, not a copy (numpy's stubs do not declare it one).
        digest.update(typing.cast("bytes", data))
        return str(digest.hexdigest())

    @staticmethod
    @contextlib.contextmanager
    def new_file(prefix: str = "compliance-ids-") -> Iterator[Path]:
        """A new private temporary file for an IdSet, removed if writing it fails.

        Example:
            >>> with IdSet.new_file() as path:
            ...     _ = path.write_bytes(b"1\\n")
            >>> IdSet.from_canonical(path).discard()
        """
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=".txt")
        os.close(handle)
        path = Path(name)
        try:
            yield path
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    @classmethod
    def from_values(cls, values: npt.ArrayLike) -> IdSet:
        """From ``uint64`` values (any order, duplicates allowed): the one routine every
        entry point ends in (``check()``, ``run_job``, ``upload_ids``, ``submit``, the CLI).

        Sorted and de-duplicated with numpy, formatted in blocks on a few threads and
        written in order, the digest computed meanwhile (numpy, hashing and writing all
        release the GIL).

        Example:
            >>> ids = IdSet.from_values(np.array([30, 10, 30], dtype=np.uint64))
            >>> ids.read_bytes(), ids.count
            (b'10\\n30\\n', 2)
            >>> ids.discard()
        """
        unique = sorted_unique(values)
        with (
            cls.new_file() as path,
            open(path, "wb") as sink,
            ThreadPoolExecutor(max_workers=_FORMATTERS + 1) as pool,
        ):
            digest = pool.submit(cls.digest_of, unique)
            ahead: collections.deque[Future[bytes]] = collections.deque()
            for start in range(0, unique.size, _BLOCK):  # blocks formatted side by side,
                ahead.append(pool.submit(format_ids, unique[start : start + _BLOCK]))
                if len(ahead) > _FORMATTERS:  # written in order, a few in memory at most
                    sink.write(ahead.popleft().result())
            while ahead:
                sink.write(ahead.popleft().result())
            return cls(path, int(unique.size), digest.result())

    @classmethod
    def from_ids(cls, ids: Iterable[Any]) -> IdSet:
        """From Python or numpy values: ints, or strings of 1-19 decimal digits.

        Strings go through the same vectorised scan as an ID file: spaces and tabs around
        an ID are trimmed (with a warning), and floats' marks (``1.23E+18``, ``...576.0``)
        get an error that says where the digits went.
        """
        if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu":
            values = ids.astype(np.int64 if ids.dtype.kind == "i" else np.uint64, copy=False)
            if ids.dtype.kind == "i" and (values < 0).any():
                bad = np.flatnonzero(values < 0)
                raise _invalid(
                    [(int(i), int(values[i])) for i in bad[:_MAX_EXAMPLES]], int(bad.size), {}
                )
            return cls.from_values(values.astype(np.uint64))
        if isinstance(ids, np.ndarray) and ids.dtype.kind in "US":
            ids = ids.tolist()
        items = ids if isinstance(ids, (list, tuple)) else list(ids)
        return cls.from_values(_parse_values(items))

    @classmethod
    def from_file(cls, source: str | os.PathLike[str] | BinaryIO) -> IdSet:
        """From a file of one ID per line (blank lines and CRLF are fine; spaces and tabs
        around an ID are trimmed, with a warning)."""
        notes = ScanNotes()
        try:
            if isinstance(source, (str, os.PathLike)):
                with open(source, "rb") as stream:
                    chunks = list(scan_ids(stream, skip_blank=True, trim=True, notes=notes))
            else:
                chunks = list(scan_ids(source, skip_blank=True, trim=True, notes=notes))
        except IDLinesError as exc:
            examples = [(f"line {bad.number}", bad.text) for bad in exc.first]
            raise _invalid(examples, exc.count, exc.kinds, where="lines") from None
        _warn_trimmed(notes, "line")
        return cls.from_values(np.concatenate(chunks) if chunks else np.empty(0, np.uint64))

    @classmethod
    def from_canonical(
        cls,
        path: str | os.PathLike[str],
        *,
        count: int | None = None,
        digest: str | None = None,
        temporary: bool = True,
    ) -> IdSet:
        """Adopt a file already canonical (ascending, unique, LF).

        ``count`` and ``digest`` (see :meth:`digest_of`) are computed from the file when
        not given.
        """
        if count is None or digest is None:
            with open(path, "rb") as source:
                chunks = list(scan_ids(source))
            values = np.concatenate(chunks) if chunks else np.empty(0, np.uint64)
            count, digest = int(values.size), cls.digest_of(values)
        return cls(Path(path), count, digest, temporary)

    @classmethod
    def coerce(cls, source: Any) -> IdSet:
        """Any accepted source: an IdSet, a path, a binary file, or an iterable of IDs."""
        if isinstance(source, IdSet):
            return source
        if isinstance(source, (str, os.PathLike)) or hasattr(source, "read"):
            return cls.from_file(source)
        if isinstance(source, (bytes, bytearray)):
            return cls.from_file(io.BytesIO(bytes(source)))
        return cls.from_ids(source)

    # -- using ----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes to upload."""
        if self.length is not None:
            return self.length
        return self.path.stat().st_size - self.offset

    def read_bytes(self) -> bytes:
        """The set's lines, as uploaded (for small sets: tests, inspection).

        Example:
            >>> ids = IdSet.from_ids([3, 1, 2])
            >>> ids.split(max_bytes=4)[1].read_bytes()
            b'3\\n'
            >>> ids.discard()
        """
        with open(self.path, "rb") as source:
            source.seek(self.offset)
            return source.read(self.size)

    def job_name(self, job_type: str) -> str:
        """The default job name: type, count and the digest of the IDs (at most 64 characters)."""
        name = f"{NAME_PREFIX}{job_type}-{self.count}-{self.digest[:20]}"
        if self.part is not None:
            name += f"-p{self.part[0]}of{self.part[1]}"
        return name

    def split(self, max_ids: int | None = None, max_bytes: int | None = None) -> list[IdSet]:
        """Parts of at most ``max_ids`` IDs and ``max_bytes`` bytes each, in order (just
        this set if it is small enough). Each part is a byte range of this set's file (no
        copy: the file must outlive the parts); the parts are numbered (``part``) so that
        each gets a job name of its own.

        Example:
            >>> ids = IdSet.from_ids(range(10, 16))  # 6 lines of 3 bytes
            >>> parts = ids.split(max_bytes=7)
            >>> [part.count for part in parts], [part.part for part in parts]
            ([2, 2, 2], [(1, 3), (2, 3), (3, 3)])
            >>> parts[1].read_bytes()
            b'12\\n13\\n'
            >>> ids.discard()
        """
        if max_ids is not None and max_ids < 1:
            raise ValueError(f"max_ids_per_job must be at least 1, got {max_ids}")
        lines = self.count if max_ids is None else max_ids
        limit = self.size if max_bytes is None else max_bytes
        if self.count <= lines and self.size <= limit:
            return [self]
        spans: list[tuple[int, int, int]] = []  # (offset, bytes, lines) of each part
        with open(self.path, "rb") as source:
            start = copied = 0
            while copied < self.count:
                count = _measure_part(source, lines, limit)
                if not count:
                    raise ValueError(f"max_upload_bytes={limit} cannot hold the next ID")
                end = source.tell()
                spans.append((start, end - start, count))
                start, copied = end, copied + count
        total = len(spans)
        return [
            IdSet(self.path, count, self.digest, False, (index, total), offset, length)
            for index, (offset, length, count) in enumerate(spans, start=1)
        ]

    def discard(self) -> None:
        """Remove the file if this set made it."""
        if self.temporary:
            self.path.unlink(missing_ok=True)
            _LIVE.discard(self.path)


def _measure_part(source: BinaryIO, lines: int, limit: int) -> int:
    """Read whole lines of a canonical file (every line ends with a newline) from
    ``source``: at most ``lines`` lines and ``limit`` bytes, block by block; return how
    many. ``source`` is left just after the last line counted."""
    counted = read = 0
    while counted < lines and read < limit:
        budget = limit - read
        block = source.read(min(_SPLIT_BLOCK, budget))
        if not block:
            break
        count = block.count(b"\n")
        while not count and len(block) < budget:  # a line longer than a block
            more = source.read(min(_SPLIT_BLOCK, budget - len(block)))
            if not more:
                break
            block += more
            count = block.count(b"\n")
        take = min(count, lines - counted)
        if take == 0:  # not one more whole line fits
            source.seek(-len(block), os.SEEK_CUR)
            break
        # Usually up to the block's last newline; a count limit may fall inside the block.
        cut = block.rfind(b"\n") + 1 if take == count else int(_newlines(block)[take - 1]) + 1
        source.seek(cut - len(block), os.SEEK_CUR)
        counted += take
        read += cut
    return counted


def _newlines(block: bytes) -> npt.NDArray[np.intp]:
    return np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n"))


def _parse_values(items: list[Any] | tuple[Any, ...]) -> npt.NDArray[np.uint64]:
    """Python values as IDs, vectorised for the usual cases: all ints (one numpy
    conversion), all strings (joined into lines for :func:`scan_ids`); anything else is
    turned into text one by one and scanned the same way."""
    texts: list[str] | tuple[str, ...] | None = None
    if items and isinstance(items[0], str):
        with contextlib.suppress(TypeError):  # str.join checks that every value is text
            joined = "\n".join(items)
            texts = typing.cast("list[str]", items)
    if texts is None:
        kinds = set(map(type, items))
        if all(issubclass(kind, (int, np.integer)) and kind is not bool for kind in kinds):
            try:
                values = np.array(items, dtype=np.int64) if items else np.empty(0, np.int64)
                if not (values < 0).any():
                    return values.astype(np.uint64)
            except OverflowError:  # above 2**63 - 1: may still fit uint64
                with contextlib.suppress(OverflowError):
                    big = np.array(items, dtype=np.uint64)
                    if not (big >= np.uint64(_LIMIT)).any():
                        return big
        texts = [_text(value) for value in items]
        joined = "\n".join(texts)
    if "\r" in joined or joined.count("\n") != max(len(texts) - 1, 0):
        texts = [_text(value) for value in items]  # line breaks inside values made visible
        joined = "\n".join(texts)
    notes = ScanNotes()
    try:
        data = joined.encode("ascii")
    except UnicodeEncodeError:
        data = joined.encode("utf-8")  # non-ASCII text is not digits: the scan refuses it
    try:  # one line per value, the last one too (an empty string is a blank line: refused)
        chunks = list(scan_ids(io.BytesIO(data + b"\n"), trim=True, notes=notes)) if texts else []
    except IDLinesError as exc:
        examples = [(bad.number - 1, items[bad.number - 1]) for bad in exc.first]
        raise _invalid(examples, exc.count, exc.kinds) from None
    _warn_trimmed(notes, "position")
    return np.concatenate(chunks) if chunks else np.empty(0, np.uint64)


def _text(value: Any) -> str:
    """One value as the text the scan judges: ints as digits, strings with any line break
    made visible (so one value stays one line), anything else as ``repr``-like text that
    is not an ID (``1.5``, ``True``)."""
    if isinstance(value, (bool, np.bool_)):
        return "True?" if value else "False?"
    if isinstance(value, (int, np.integer)):
        number = int(value)
        return str(number) if 0 <= number < _LIMIT else f"{number}?"
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            return value.replace("\r", "\\r").replace("\n", "\\n") or "?"
        return value
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return f"{value!r}?".replace("\n", " ").replace("\r", " ")


def _warn_trimmed(notes: ScanNotes, unit: str) -> None:
    if notes.trimmed:
        shown = ", ".join(str(n if unit == "line" else n - 1) for n in notes.first_trimmed)
        more = ", ..." if notes.trimmed > len(notes.first_trimmed) else ""
        warnings.warn(
            f"{notes.trimmed:,} ID(s) had spaces or tabs around them, which were removed "
            f"({unit}s {shown}{more}); the IDs themselves are unchanged.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def _invalid(
    examples: list[tuple[Any, Any]],
    count: int,
    kinds: dict[str, int],
    where: str = "positions",
) -> InvalidIDError:
    shown = ", ".join(
        f"{value!r} at {position}" if where == "lines" else f"{value!r} (position {position})"
        for position, value in examples
    )
    unit = "line" if where == "lines" else "value"
    first = str(examples[0][1]) if examples else ""
    notes = kind_notes(kinds, first, unit)
    said = f" Of these, {'; '.join(notes)}." if notes else ""
    return InvalidIDError(
        f"{count} value(s) are not tweet or user IDs (1-19 decimal digits): {shown}.{said}",
        count=count,
        examples=examples,
        hint=Hint(
            *fix_choices(kinds),
            Choice(
                "fix or drop them; IDs must be whole numbers, never floats "
                "(which lose digits above 2**53)"
            ),
        ),
    )
