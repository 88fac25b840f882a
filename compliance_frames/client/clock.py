"""Where the client's time comes from. Tests replace these with pytest-mock to make
hours of polling pass instantly against an emulator on a manual clock.

Example:
    >>> seconds = now()
    >>> isinstance(utcnow().tzinfo, type(utcnow().tzinfo))
    True
"""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now() -> float:
    """Seconds since the epoch (the wall clock: compared with the API's timestamps)."""
    return time.time()


def utcnow() -> datetime:
    """:func:`now` as an aware UTC datetime."""
    return datetime.fromtimestamp(now(), tz=timezone.utc)


def sleep(seconds: float) -> None:
    """Wait; every wait of the client goes through here."""
    if seconds > 0:
        time.sleep(seconds)
