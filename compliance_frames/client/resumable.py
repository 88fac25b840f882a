"""The resumable upload protocol's decisions, without I/O (the older storage-host flow).

What to send next, what an answer means and when the upload is done are decided here,
from statuses and headers only; :mod:`~compliance_frames.client.uploads` sends the
requests and reads the file (the split of google-resumable-media's ``_upload.py`` and
``requests/upload.py``). The protocol:

- ``POST`` to the job's upload URL with ``x-goog-resumable: start`` opens a session; its
  URI comes back in ``Location`` (:func:`start_headers`, :func:`session_uri`);
- chunks of a multiple of 256 KiB go to the session with ``Content-Range: bytes
  A-B/TOTAL``; ``308`` ("resume incomplete") says how much is stored in its ``Range``
  header (``bytes=0-N``; none: nothing yet), ``200``/``201`` that the upload is whole;
- an empty ``PUT`` with ``Content-Range: bytes */TOTAL`` asks how much arrived
  (:func:`probe_headers`), after a dropped chunk or when a saved session is resumed.

Example:
    >>> upload = ResumableUpload(size=600_000, chunk_size=CHUNK)
    >>> upload.next_chunk()
    Chunk(start=0, end=262144, content_range='bytes 0-262143/600000')
    >>> upload.process(308, {"Range": "bytes=0-262143"})
    <Outcome.PROGRESS: 'progress'>
    >>> upload.next_chunk().content_range
    'bytes 262144-524287/600000'
    >>> upload.process(503, {}), upload.offset
    (<Outcome.RETRY: 'retry'>, 262144)
    >>> upload.process(200, {}), upload.finished
    (<Outcome.DONE: 'done'>, True)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .retry import RETRY_STATUSES

CHUNK = 256 * 1024
"""Chunks are a multiple of this many bytes (the protocol's rule; the last may be short)."""
DEFAULT_CHUNK_SIZE = 32 * CHUNK  # 8 MiB
TEXT_PLAIN = "text/plain"
_RANGE = re.compile(r"bytes=0-(\d+)")
_DONE = frozenset({200, 201})
_INCOMPLETE = 308


class Outcome(enum.Enum):
    """What an answer to a chunk means."""

    DONE = "done"
    """Every byte is stored: the upload is over."""
    PROGRESS = "progress"
    """``308``: part is stored; :attr:`ResumableUpload.offset` says where to go on."""
    RETRY = "retry"
    """A 5xx or 429: try again (after asking what arrived)."""
    REDIRECT = "redirect"
    """Another 3xx: never followed (the upload goes where the job said, or fails)."""
    REFUSED = "refused"
    """Any other status: the upload cannot go on; the answer says why."""


@dataclass(frozen=True)
class Chunk:
    """The next request of an upload: the bytes ``[start, end)`` of the IDs (none when
    ``start == end``: the final, empty request that completes or asks)."""

    start: int
    end: int
    content_range: str

    @property
    def headers(self) -> dict[str, str]:
        """The headers of the ``PUT`` that sends this chunk."""
        return {"Content-Range": self.content_range}


def start_headers() -> dict[str, str]:
    """The headers of the ``POST`` that opens a session.

    Example:
        >>> start_headers()["x-goog-resumable"]
        'start'
    """
    return {"Content-Type": TEXT_PLAIN, "Content-Length": "0", "x-goog-resumable": "start"}


def session_uri(status: int, headers: Mapping[str, str]) -> str | None:
    """The session URI of an answer to the opening ``POST``, or None if it opened none.

    Example:
        >>> session_uri(200, {"Location": "https://storage/u?upload_id=1"})
        'https://storage/u?upload_id=1'
        >>> session_uri(403, {"Location": "https://storage/u"}) is None
        True
    """
    location = headers.get("Location")
    return location if status in _DONE and location else None


def probe_headers(size: int) -> dict[str, str]:
    """The headers of the empty ``PUT`` that asks how much of ``size`` bytes arrived.

    Example:
        >>> probe_headers(10)
        {'Content-Range': 'bytes */10'}
    """
    return {"Content-Range": f"bytes */{size}"}


def stored_bytes(range_header: str) -> int:
    """How many bytes a ``308``'s ``Range`` header says are stored (0 without one, or with
    one that is not ``bytes=0-N``).

    Example:
        >>> stored_bytes("bytes=0-262143"), stored_bytes(""), stored_bytes("bytes=5-9")
        (262144, 0, 0)
    """
    match = _RANGE.match(range_header)
    return int(match.group(1)) + 1 if match else 0


def probe_offset(status: int, headers: Mapping[str, str], size: int) -> int | None:
    """Where to go on after asking what arrived: the bytes stored (``size + 1`` once the
    upload is whole), or None when the session is unknown (gone, expired, refused).

    Example:
        >>> probe_offset(308, {"Range": "bytes=0-99"}, 500), probe_offset(200, {}, 500)
        (100, 501)
        >>> probe_offset(404, {}, 500) is None
        True
    """
    if status in _DONE:
        return size + 1
    if status == _INCOMPLETE:
        return stored_bytes(headers.get("Range", ""))
    return None


def outcome(status: int) -> Outcome:
    """What an answer's status means for an upload in progress (any request to it).

    Example:
        >>> [outcome(status).value for status in (201, 308, 302, 429, 502, 403)]
        ['done', 'progress', 'redirect', 'retry', 'retry', 'refused']
    """
    if status in _DONE:
        return Outcome.DONE
    if status == _INCOMPLETE:
        return Outcome.PROGRESS
    if 300 <= status < 400:
        return Outcome.REDIRECT
    if status in RETRY_STATUSES or status == 429:
        return Outcome.RETRY
    return Outcome.REFUSED


@dataclass
class ResumableUpload:
    """The state of one resumable upload of ``size`` bytes: where it stands and what to
    send next. ``offset`` is the first byte not yet stored (``size + 1`` once whole).

    Example:
        >>> ResumableUpload(size=10, chunk_size=1000)
        Traceback (most recent call last):
        ValueError: chunk_size must be a multiple of 256 KiB, got 1000
    """

    size: int
    chunk_size: int = DEFAULT_CHUNK_SIZE
    offset: int = 0

    def __post_init__(self) -> None:
        if self.chunk_size <= 0 or self.chunk_size % CHUNK:
            raise ValueError(f"chunk_size must be a multiple of 256 KiB, got {self.chunk_size}")

    @property
    def finished(self) -> bool:
        """Whether the server has said that every byte is stored."""
        return self.offset > self.size

    def next_chunk(self) -> Chunk:
        """The request to send now: the next chunk from :attr:`offset`, or the empty
        request ``bytes */SIZE`` once every byte has been sent.

        Example:
            >>> ResumableUpload(size=0).next_chunk().content_range
            'bytes */0'
        """
        if self.finished:
            raise ValueError("the upload is finished: there is nothing more to send")
        end = min(self.offset + self.chunk_size, self.size)
        if end > self.offset:
            return Chunk(self.offset, end, f"bytes {self.offset}-{end - 1}/{self.size}")
        return Chunk(self.offset, end, f"bytes */{self.size}")

    def process(self, status: int, headers: Mapping[str, str]) -> Outcome:
        """Take the answer to a chunk into account; return what it means."""
        meant = outcome(status)
        if meant is Outcome.DONE:
            self.offset = self.size + 1
        elif meant is Outcome.PROGRESS:
            self.offset = stored_bytes(headers.get("Range", ""))
        return meant

    def resume(self, status: int, headers: Mapping[str, str]) -> bool:
        """Take the answer to a probe (:func:`probe_headers`) into account; False when the
        session is unknown (the offset is then left as it was)."""
        offset = probe_offset(status, headers, self.size)
        if offset is None:
            return False
        self.offset = offset
        return True
