"""Whether downloaded results are whole and are results, and whether a cached file still is.

A download is checked as it streams (bytes operations only, at memory speed):

- :class:`ResultsShape`: every non-blank line is a JSON object (starts with ``{`` and
  ends with ``}``; each line is not parsed, which 200 MB would make slow);
- :class:`Digests`: its CRC-32 (recorded beside the cached file), and the MD5 or
  SHA-256 the server declared (``x-goog-hash: md5=...`` on Cloud Storage,
  ``Repr-Digest: sha-256=:...:``), computed only then and compared.

A cached results file has a record beside it (``<file>.json``: size and CRC-32);
:func:`cached_state` says whether the file still matches it.

Example:
    >>> shape = ResultsShape()
    >>> shape.feed(b'{"id":"1","reason":"deleted"}\\r\\n\\n{"id":')
    >>> shape.feed(b'"2"}\\n')
    >>> shape.finish()
    >>> shape = ResultsShape()
    >>> shape.feed(b'{"id":"1"}\\n<html>\\n')
    Traceback (most recent call last):
    compliance_frames.client.integrity.NotResults: line 2 does not start with '{' (it starts ...)
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..files import atomic_write

log = logging.getLogger("compliance_frames")

_OPEN, _CLOSE, _NEWLINE, _CR = ord("{"), ord("}"), ord("\n"), ord("\r")
_HASH_BLOCK = 1 << 20
MAX_LINE = 1 << 20
"""The longest line taken for a record (X's are a few hundred bytes): a longer one is
not results, and carrying it from block to block would cost time for nothing."""
_GOOG_MD5 = re.compile(r"(?:^|,)\s*md5=([A-Za-z0-9+/=]+)")
_REPR_SHA256 = re.compile(r"(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):")


class NotResults(ValueError):
    """The bytes are not a results file; the message says where and how."""


class ResultsShape:
    """Checks, block by block, that every non-blank line is a JSON object.

    Lines may end in CRLF and be padded with blanks. A line split across two blocks is
    checked once whole (a line over :data:`MAX_LINE` bytes is refused). The first line
    is checked as soon as its first byte arrives, so an error page is refused from its
    first block.
    """

    def __init__(self) -> None:
        self._carry = b""
        self._lines = 0

    def feed(self, block: bytes) -> None:
        """Check the complete lines that ``block`` finishes; raise :class:`NotResults`."""
        data = self._carry + block if self._carry else block
        cut = data.rfind(b"\n") + 1
        self._carry = data[cut:]
        if cut:
            self._check(data[:cut])
        if len(self._carry) > MAX_LINE:
            raise NotResults(f"line {self._lines + 1} is longer than {MAX_LINE} bytes")
        if self._lines == 0:
            head = self._carry.lstrip()
            if head and head[0] != _OPEN:
                raise _bad_start(1, head)

    def finish(self) -> None:
        """The stream ended: check its last line (one without a newline)."""
        if self._carry.strip():
            self._check(self._carry + b"\n")
        self._carry = b""

    def _check(self, data: bytes) -> None:
        """Check ``data``, whole lines each ending with a newline."""
        array = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(array == _NEWLINE)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        last = ends - 1
        crlf = (last >= starts) & (array[np.maximum(last, 0)] == _CR)
        last = np.where(crlf, last - 1, last)
        # The common cases in one pass: a line that is exactly "{...}", or empty (CRLF
        # allowed either way). Padded lines, and bad ones, are looked at one by one.
        plain = (last > starts) & (array[starts] == _OPEN) & (array[np.maximum(last, 0)] == _CLOSE)
        plain |= last < starts
        for index in np.flatnonzero(~plain):
            line = data[int(starts[index]) : int(ends[index])].strip()
            number = self._lines + int(index) + 1
            if not line:
                continue
            if line[0] != _OPEN:
                raise _bad_start(number, line)
            if line[-1] != _CLOSE or len(line) < 2:
                raise NotResults(f"line {number} does not end with '}}' (it is cut short?)")
        self._lines += int(ends.size)


def _bad_start(number: int, line: bytes) -> NotResults:
    first = chr(line[0]) if 32 <= line[0] < 127 else f"byte 0x{line[0]:02x}"
    return NotResults(f"line {number} does not start with '{{' (it starts with {first!r})")


class Digests:
    """Checksums of the bytes fed, in order: always the CRC-32 (for the cache record:
    it catches a truncated or edited file at 2 GB/s), and MD5 or SHA-256 only when the
    server declared them (each costs a pass at 0.6-1 GB/s).

    Example:
        >>> digests = Digests(want={"sha-256"})
        >>> digests.update(b"abc")
        >>> digests.crc32(), digests.size
        ('352441c2', 3)
        >>> digests.mismatch({"sha-256": b"not it", "md5": b"unasked"})
        'sha-256'
    """

    def __init__(self, want: Collection[str] = ()) -> None:
        self._crc = 0
        self._hashes = {name: factory() for name, factory in _HASHES.items() if name in want}
        self.size = 0

    def update(self, block: bytes) -> None:
        """Feed the next bytes."""
        self._crc = zlib.crc32(block, self._crc)
        for digest in self._hashes.values():
            digest.update(block)
        self.size += len(block)

    def crc32(self) -> str:
        """The CRC-32 so far, in hex (8 digits)."""
        return f"{self._crc:08x}"

    def mismatch(self, declared: Mapping[str, bytes]) -> str | None:
        """Which declared digest (``md5``, ``sha-256``) computed here differs from the
        bytes, if any."""
        for name, value in declared.items():
            digest = self._hashes.get(name)
            if digest is not None and digest.digest() != value:
                return name
        return None


_HASHES: dict[str, Callable[[], Any]] = {
    "md5": lambda: hashlib.md5(usedforsecurity=False),
    "sha-256": hashlib.sha256,
}


def declared_digests(headers: Mapping[str, str]) -> dict[str, bytes]:
    """The digests of the whole object that an answer declares: ``x-goog-hash``'s md5
    (Cloud Storage; its crc32c is not checked) and ``Repr-Digest``'s sha-256.

    Example:
        >>> declared_digests({"x-goog-hash": "crc32c=n03x6A==,md5=XrY7u+Ae7tCTyyK7j1rNww=="})
        {'md5': b'^\\xb6;\\xbb\\xe0\\x1e\\xee\\xd0\\x93\\xcb"\\xbb\\x8fZ\\xcd\\xc3'}
    """
    found: dict[str, bytes] = {}
    for name, pattern, header in (
        ("md5", _GOOG_MD5, "x-goog-hash"),
        ("sha-256", _REPR_SHA256, "Repr-Digest"),
    ):
        match = pattern.search(headers.get(header, ""))
        if match is not None:
            try:
                found[name] = base64.b64decode(match.group(1), validate=True)
            except (binascii.Error, ValueError):
                log.info("ignoring a malformed %s header", header)
    return found


def transformed(headers: Mapping[str, str]) -> bool:
    """Whether an answer's bytes differ from the stored object's (compressed on the way,
    or served decompressed): its declared digests then describe other bytes."""
    encodings = (
        headers.get("Content-Encoding", ""),
        headers.get("x-goog-stored-content-encoding", ""),
    )
    return any(value.strip().lower() not in ("", "identity") for value in encodings)


# -- the record beside a cached results file ------------------------------------------------


class Cached(enum.Enum):
    """What :func:`cached_state` found."""

    MISSING = "missing"
    INTACT = "intact"
    DAMAGED = "damaged"


def record_path(path: Path) -> Path:
    """Where the record of the results file ``path`` is kept: beside it."""
    return path.with_name(path.name + ".json")


def write_record(path: Path, size: int, crc32: str) -> None:
    """Record the size and CRC-32 of the results file at ``path`` (atomically).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "1.ndjson"
        >>> _ = path.write_bytes(b'{"id":"1"}\\n')
        >>> write_record(path, 11, file_crc32(path))
        >>> cached_state(path).value
        'intact'
        >>> _ = path.write_bytes(b'{"id":"2"}\\n')  # edited: same size, other bytes
        >>> cached_state(path).value
        'damaged'
    """
    with atomic_write(record_path(path)) as sink:
        sink.write(json.dumps({"size": size, "crc32": crc32}).encode())


def file_crc32(path: Path) -> str:
    """The CRC-32 of a file, read in blocks, in hex."""
    crc = 0
    with open(path, "rb") as source:
        while block := source.read(_HASH_BLOCK):
            crc = zlib.crc32(block, crc)
    return f"{crc:08x}"


def cached_state(path: Path) -> Cached:
    """Whether the results file at ``path`` is missing, intact (its size and CRC-32 are
    those recorded when it was downloaded) or damaged (truncated, edited, or without a
    record)."""
    record = _read_record(record_path(path))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Cached.MISSING
    if record is None or record.get("size") != size:
        return Cached.DAMAGED
    return Cached.INTACT if file_crc32(path) == record.get("crc32") else Cached.DAMAGED


def move(source: Path, target: Path) -> None:
    """Move a cached results file and its record (each renamed: atomic on one disk).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "1.ndjson").write_bytes(b'{"id":"1"}\\n')
        >>> write_record(folder / "1.ndjson", 11, file_crc32(folder / "1.ndjson"))
        >>> move(folder / "1.ndjson", folder / "new" / "1.ndjson")
        >>> cached_state(folder / "new" / "1.ndjson").value
        'intact'
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if record_path(source).exists():
        os.replace(record_path(source), record_path(target))
    os.replace(source, target)


def discard(path: Path) -> None:
    """Remove a cached results file and its record."""
    path.unlink(missing_ok=True)
    record_path(path).unlink(missing_ok=True)


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
