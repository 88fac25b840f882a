"""Timing and peak-memory measurement of benchmark phases.

Peak memory is sampled from ``/proc/self/statm`` every few milliseconds by a
background thread, and reported above the resident size at the start of the phase.

Example:
    >>> with Phases() as phases:
    ...     with phases("sleep"):
    ...         pass
    >>> [p.name for p in phases.results]
    ['sleep']
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_PAGE = os.sysconf("SC_PAGE_SIZE")


def reset_peak() -> bool:
    """Reset the kernel's record of this process's peak resident size (Linux 4.0+).

    Returns False where that is not possible; :func:`peak_rss_bytes` then reports the
    lifetime peak.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """This process's peak resident size since the last :func:`reset_peak` (exact: the
    kernel keeps it, nothing is sampled)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rss_bytes() -> int:
    """Resident set size of this process now."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:  # not Linux: fall back to the lifetime peak
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class Phase:
    """One measured phase."""

    name: str
    seconds: float
    peak_above_start: int
    peak_rss: int


@dataclass
class Phases:
    """Measures named phases one after another."""

    interval: float = 0.002
    results: list[Phase] = field(default_factory=list)
    _peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Phases:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, rss_bytes())
            time.sleep(self.interval)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start_rss = rss_bytes()
        self._peak = start_rss
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        peak = max(self._peak, rss_bytes())
        self.results.append(Phase(name, seconds, peak - start_rss, peak))

    def table(self) -> str:
        """The phases as a text table."""
        rows = [f"{'phase':<28}{'seconds':>10}{'peak MB above start':>22}{'peak RSS MB':>14}"]
        for p in self.results:
            above, peak = p.peak_above_start / 1e6, p.peak_rss / 1e6
            rows.append(f"{p.name:<28}{p.seconds:>10.2f}{above:>22.1f}{peak:>14.1f}")
        return "\n".join(rows)
