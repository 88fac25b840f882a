"""Clocks for the emulator: the wall clock, or a manual one that tests move by hand.

Example:
    >>> clock = ManualClock(start=1_700_000_000.0)
    >>> clock.advance(90)
    >>> clock.time()
    1700000090.0
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Anything with a ``time()`` method returning epoch seconds."""

    def time(self) -> float:
        """Return the current time in seconds since the epoch."""
        ...


class SystemClock:
    """The real wall clock."""

    def time(self) -> float:
        """Return ``time.time()``."""
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to: for simulating hours of processing in a test."""

    def __init__(self, start: float | None = None) -> None:
        self._now = float(time.time() if start is None else start)
        self._lock = threading.Lock()

    def time(self) -> float:
        """Return the clock's current reading."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance({seconds}))")
        with self._lock:
            self._now += seconds

    def __repr__(self) -> str:
        return f"ManualClock(start={self._now!r})"
