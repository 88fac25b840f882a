"""Guards on uploads and downloads: no redirects, no stalls, no running past the run's timeout.

- A transfer never follows a redirect (see :meth:`Transport.transfer`); a 3xx answer is
  refused by :func:`redirect_error`, which names the status and the host it pointed to
  (never the URL's query, where a signed URL keeps its credential).
- requests' read timeout restarts with every byte, so a server trickling one byte a
  second never trips it. A :class:`Watchdog` follows one transfer block by block
  against a monotonic clock: fewer than ``stall_bytes`` bytes in ``stall_timeout``
  seconds is a stall (:class:`Stalled`); a download resumes after one.
- ``timeout=`` of :meth:`Client.run_job` bounds the transfers too: the run sets
  :func:`deadline` around its work, and a transfer still going when it runs out is cut
  (:class:`OutOfTime`).

Example:
    >>> limits = TransferLimits(stall_timeout=30.0, stall_bytes=1024)
    >>> watchdog = Watchdog(limits)
    >>> watchdog.progressed(4096)  # plenty: nothing happens
    >>> with deadline(None):
    ...     remaining() is None
    True
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from ..errors import ConfigurationError, DownloadError, TransferError, UploadError

_DEADLINE: ContextVar[float | None] = ContextVar("compliance_frames_deadline", default=None)
"""The monotonic time by which the current run must end (None: no timeout)."""


@dataclass(frozen=True)
class TransferLimits:
    """When a transfer counts as stalled: fewer than ``stall_bytes`` bytes moved in
    ``stall_timeout`` seconds (a server that sends nothing is given up on after
    ``stall_timeout`` seconds too).

    Example:
        >>> TransferLimits(stall_timeout=0)
        Traceback (most recent call last):
        compliance_frames.errors.ConfigurationError: stall_timeout must be a positive ...
    """

    stall_timeout: float = 60.0
    stall_bytes: int = 1024

    def __post_init__(self) -> None:
        if not self.stall_timeout > 0:
            raise ConfigurationError(
                f"stall_timeout must be a positive number of seconds, got {self.stall_timeout!r}."
            )
        if self.stall_bytes < 0:
            raise ConfigurationError(
                f"stall_bytes must be a number of bytes >= 0, got {self.stall_bytes!r}."
            )

    def describe(self) -> str:
        """The stall rule, for messages.

        Example:
            >>> TransferLimits(stall_timeout=30, stall_bytes=1024).describe()
            'fewer than 1024 bytes in 30 s'
        """
        return f"fewer than {self.stall_bytes} bytes in {self.stall_timeout:g} s"


class Stalled(Exception):
    """A transfer moved too little for too long (internal: turned into a TransferError)."""


class OutOfTime(Exception):
    """The run's timeout ran out during a transfer (internal: turned into a
    :class:`WaitTimeoutError`)."""


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Within the block, transfers end at the latest ``seconds`` from now (None: no limit).

    A deadline already set (by an enclosing run) is kept if it is the earlier one.
    """
    current = _DEADLINE.get()
    mine = None if seconds is None else time.monotonic() + max(seconds, 0.0)
    chosen = mine if current is None else current if mine is None else min(mine, current)
    token = _DEADLINE.set(chosen)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current run's deadline (>= 0), or None without one."""
    end = _DEADLINE.get()
    return None if end is None else max(end - time.monotonic(), 0.0)


def check_time() -> None:
    """Raise :class:`OutOfTime` if the current run's deadline has passed."""
    left = remaining()
    if left is not None and left <= 0:
        raise OutOfTime


class Watchdog:
    """Follows one transfer: call :meth:`progressed` after every block moved."""

    def __init__(self, limits: TransferLimits | None = None) -> None:
        self.limits = limits or TransferLimits()
        self._window_start = time.monotonic()
        self._window_bytes = 0

    def progressed(self, count: int) -> None:
        """``count`` more bytes moved: raise :class:`OutOfTime` past the run's deadline,
        :class:`Stalled` if the last ``stall_timeout`` seconds moved too little."""
        check_time()
        self._window_bytes += count
        now = time.monotonic()
        if now - self._window_start < self.limits.stall_timeout:
            return
        if self._window_bytes < self.limits.stall_bytes:
            raise Stalled
        self._window_start, self._window_bytes = now, 0

    def read_timeout(self, longest: float | None = None) -> float:
        """The longest a single read may wait: the stall timeout (or ``longest`` if
        shorter), or less before the run's deadline."""
        timeout = self.limits.stall_timeout
        for bound in (longest, remaining()):
            if bound is not None:
                timeout = min(timeout, bound)
        return max(timeout, 0.001)

    def bound(self, response: requests.Response, longest: float | None = None) -> None:
        """Make a streamed answer's reads wait at most :meth:`read_timeout` (best effort:
        where the socket cannot be reached, the client's ``timeout`` bounds them)."""
        sock = _socket_of(response)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(self.read_timeout(longest))


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket a streamed answer is read from, if urllib3 lets us see it."""
    raw: Any = response.raw
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        return sock
    # http.client hands the socket to the answer when the connection closes after it.
    reader = getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None)
    sock = getattr(reader, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def redirect_error(response: requests.Response, *, upload: bool, what: str) -> TransferError:
    """The error for a transfer answered with a redirect (never followed): the status and
    the host it pointed to, without the URL's path or query.

    Example:
        >>> answer = requests.Response()
        >>> answer.status_code, answer.url = 302, "https://api.x.com/2/compliance/jobs/1/download"
        >>> answer.headers["Location"] = "https://login.example.net/portal?next=secret"
        >>> str(redirect_error(answer, upload=False, what="job 1"))[:71]
        'The download of job 1 was answered with a redirect (302 to login.exampl'
    """
    status = response.status_code
    location = response.headers.get("Location")
    if not location:
        where = "with no Location"
    else:
        host = urlsplit(location).hostname or urlsplit(response.url or "").hostname or "?"
        where = f"to {host}"
    kind: type[TransferError] = UploadError if upload else DownloadError
    transfer = "upload" if upload else "download"
    return kind(
        f"The {transfer} of {what} was answered with a redirect ({status} {where}). Transfers "
        "never follow redirects: the URL's credentials must not go elsewhere. A proxy or "
        "captive portal may stand in the way: check the network, get the job again for its "
        "current URLs, and try again.",
        status=status,
    )
