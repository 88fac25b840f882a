"""Whether downloaded results are whole and are results, and whether a cached file still is.

A download is checked as it streams (bytes operations only, at memory speed):

- :class:`ResultsShape`: every non-blank line is a JSON object (starts with ``{`` and
  ends with ``}``; each line is not parsed, which 200 MB would make slow);
- :class:`Digests`: its SHA-256 (recorded beside the cached file) and MD5, compared
  with what the server declared (``x-goog-hash: md5=...`` on Cloud Storage,
  ``Repr-Digest: sha-256=:...:``) by :func:`declared_mismatch`.

A cached results file has a record beside it (``<file>.json``: size and SHA-256);
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
import re
from collections.abc import Mapping
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
    """SHA-256 and MD5 of the bytes fed, in order.

    Example:
        >>> digests = Digests()
        >>> digests.update(b"abc")
        >>> digests.sha256()[:16], digests.size
        ('ba7816bf8f01cfea', 3)
    """

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def update(self, block: bytes) -> None:
        """Feed the next bytes."""
        self._sha256.update(block)
        self._md5.update(block)
        self.size += len(block)

    def sha256(self) -> str:
        """The SHA-256 so far, in hex."""
        return self._sha256.hexdigest()

    def mismatch(self, declared: Mapping[str, bytes]) -> str | None:
        """Which declared digest (``md5``, ``sha-256``) differs from the bytes, if any."""
        ours = {"md5": self._md5.digest(), "sha-256": self._sha256.digest()}
        for name, value in declared.items():
            if name in ours and ours[name] != value:
                return name
        return None


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


def write_record(path: Path, size: int, sha256: str) -> None:
    """Record the size and SHA-256 of the results file at ``path`` (atomically).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "1.ndjson"
        >>> _ = path.write_bytes(b'{"id":"1"}\\n')
        >>> write_record(path, 11, file_sha256(path))
        >>> cached_state(path).value
        'intact'
        >>> _ = path.write_bytes(b'{"id":"2"}\\n')  # edited: same size, other bytes
        >>> cached_state(path).value
        'damaged'
    """
    with atomic_write(record_path(path)) as sink:
        sink.write(json.dumps({"size": size, "sha256": sha256}).encode())


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def cached_state(path: Path) -> Cached:
    """Whether the results file at ``path`` is missing, intact (its size and SHA-256 are
    those recorded when it was downloaded) or damaged (truncated, edited, or without a
    record)."""
    record = _read_record(record_path(path))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Cached.MISSING
    if record is None or record.get("size") != size:
        return Cached.DAMAGED
    return Cached.INTACT if file_sha256(path) == record.get("sha256") else Cached.DAMAGED


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
