"""The server's clock, as its ``Date`` headers tell it.

Upload and download URLs expire, and rate windows reset, by the server's clock. A
laptop whose clock is ten minutes off would otherwise judge a fresh job's upload URL
expired (and create job after job), or an expired one open. The client records how
far the server's clock is from its own (the skew) from each API answer's ``Date``, and
judges those windows by :meth:`Client.server_now`.

A ``Date`` has whole seconds and arrives after a network delay: a difference of less
than ``NOISE`` seconds is taken as none. One of more than ``MAX_SKEW`` is not a clock
set wrong but a header not to be believed (a stale cache's, say): it is ignored.

Example:
    >>> skew_from_date("Tue, 01 Dec 2026 20:00:00 GMT", local=1796155200.0 + 600)
    -600.0
    >>> skew_from_date("Tue, 01 Dec 2026 20:00:00 GMT", local=1796155200.4)
    0.0
    >>> skew_from_date("yesterday", local=0.0) is None, skew_from_date(None, local=0.0) is None
    (True, True)
"""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime

log = logging.getLogger("compliance_frames")

NOISE = 2.0
MAX_SKEW = 24 * 3600.0


def skew_from_date(value: str | None, local: float) -> float | None:
    """Seconds the server's clock is ahead of ``local`` (epoch seconds) per a ``Date``
    header's ``value``; None if it is missing, unreadable or not believable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses naive
        return None
    skew = moment.timestamp() - local
    if abs(skew) > MAX_SKEW:
        log.debug("ignoring a Date header %.0f s away from this machine's clock", skew)
        return None
    return 0.0 if abs(skew) < NOISE else skew
