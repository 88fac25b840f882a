"""Per-endpoint fixed rate windows with the ``x-rate-limit-*`` headers of the real API.

A window opens at an endpoint's first request and lasts ``window`` seconds; it allows
``limit`` requests. Every answer carries the window's limit, what remains and when it
resets (epoch seconds).

Which endpoints have a window: every endpoint of the API host, each its own:
``create``, ``list`` and ``get`` in both flows, and ``cancel``, ``upload`` and
``download`` in the byte-path flow (where they are API endpoints). The storage host of
the gcs flow has no windows: its uploads and downloads are never rate limited (only
injected faults make them fail), and the gcs flow has no cancel.

Example:
    >>> from compliance_frames.emulator.clock import ManualClock
    >>> limiter = RateLimiter(limit=2, window=900, clock=ManualClock(start=0))
    >>> [limiter.hit("get")[0] for _ in range(3)]
    [True, True, False]
    >>> limiter.headers("get")["x-rate-limit-remaining"]
    '0'
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from .clock import Clock


@dataclass
class _Window:
    reset_at: float
    remaining: int


class RateLimiter:
    """Counts requests per endpoint in fixed windows."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def _current(self, endpoint: str) -> _Window:
        now = self._clock.time()
        window = self._windows.get(endpoint)
        if window is None or now >= window.reset_at:
            window = _Window(reset_at=now + self.window, remaining=self.limit)
            self._windows[endpoint] = window
        return window

    def hit(self, endpoint: str) -> tuple[bool, dict[str, str]]:
        """Count one request; return whether it is allowed and the headers to send."""
        with self._lock:
            window = self._current(endpoint)
            allowed = window.remaining > 0
            if allowed:
                window.remaining -= 1
            return allowed, self._headers(window)

    def headers(self, endpoint: str) -> dict[str, str]:
        """The headers for an answer that does not count against the window."""
        with self._lock:
            return self._headers(self._current(endpoint))

    def exhausted_headers(self, endpoint: str) -> dict[str, str]:
        """Headers of an injected 429: nothing remains until the window's reset.

        The window itself is left alone, so that the fault lasts exactly as many
        answers as it was injected for.
        """
        with self._lock:
            window = self._current(endpoint)
            return {**self._headers(window), "x-rate-limit-remaining": "0"}

    def _headers(self, window: _Window) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.limit),
            "x-rate-limit-remaining": str(window.remaining),
            "x-rate-limit-reset": str(math.ceil(window.reset_at)),
        }
