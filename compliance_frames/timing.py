"""Phase timings, reported to the ``compliance_frames.timing`` logger at DEBUG level.

Each record carries ``phase`` (its name), ``seconds`` and ``ended`` (a
``time.perf_counter()`` reading), so that a benchmark, or a curious user, can see where
the time of a check goes without any change to the code that runs:

    >>> import logging
    >>> logging.getLogger("compliance_frames.timing").setLevel(logging.DEBUG)
    >>> with phase("example"):
    ...     pass
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("compliance_frames.timing")


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block and log it as phase ``name``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        ended = time.perf_counter()
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s: %.3f s",
                name,
                ended - started,
                extra={"phase": name, "seconds": ended - started, "ended": ended},
            )
