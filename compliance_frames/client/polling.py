"""How long to wait before asking again whether a job is done.

The interval starts at ``poll_interval`` and grows with the job's age (``lag`` of it:
5% by default, so completion is noticed within about 5% of the job's duration), up to
``max_poll_interval``.

It also reads the rate window (``x-rate-limit-*``). It projects how many requests the
schedule would make over the time the job is likely still to take (as long again as
it has already taken, up to the window's reset) and, if that is more than the budget
(what remains, less a ``reserve`` share of the limit kept for everything else), it
stretches the schedule just enough to fit. With no budget left it waits for the reset.
Every check re-reads what remains, so polling never draws a 429 and never uses more
than its share of a window, while a short job is still checked on quickly.

A reset that is plainly not epoch seconds (milliseconds, years away, negative, not a
number) is not believed (:func:`reset_epoch`): the window is then unknown, and no wait
is ever longer than :data:`MAX_RESET_AHEAD`.

Example:
    >>> schedule = PollSchedule(poll_interval=5, max_poll_interval=120)
    >>> schedule.delay(age=0), schedule.delay(age=1000), schedule.delay(age=10**5)
    (5.0, 50.0, 120.0)
    >>> schedule.delay(age=0, rate=RateState(limit=150, remaining=149, reset=900.0), now=0.0)
    5.0
    >>> schedule.delay(age=1000, rate=RateState(limit=150, remaining=80, reset=900.0), now=0.0) > 50
    True
    >>> schedule.delay(age=0, rate=RateState(limit=150, remaining=60, reset=1000.0), now=100.0)
    901.0
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import clock

MAX_RESET_AHEAD = 24 * 3600.0
"""The furthest from now (either way) a rate window's reset is believed: X's longest
window is a day. Anything further is not epoch seconds (milliseconds, say)."""
_EPOCH_SECONDS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")


def reset_epoch(value: str | None, now: float | None = None) -> float | None:
    """When a rate window reopens, in epoch seconds, from an ``x-rate-limit-reset`` value;
    None when absent or plainly not epoch seconds: not a plain decimal number (negative,
    garbage), or more than :data:`MAX_RESET_AHEAD` from ``now`` (default: the clock).

    Example:
        >>> reset_epoch("1700000900", now=1_700_000_000.0)
        1700000900.0
        >>> [reset_epoch(v, now=1_700_000_000.0) for v in ("1700000900000", "-5", "soon", None)]
        [None, None, None, None]
    """
    if value is None or not _EPOCH_SECONDS.fullmatch(value.strip()):
        return None
    reset = float(value)
    now = clock.now() if now is None else now
    return reset if abs(reset - now) <= MAX_RESET_AHEAD else None


@dataclass(frozen=True)
class RateState:
    """The rate window as the last answer described it."""

    limit: int
    remaining: int
    reset: float

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], now: float | None = None) -> RateState | None:
        """Read ``x-rate-limit-*`` headers; None if absent or malformed, a reset included
        that is not believable epoch seconds (see :func:`reset_epoch`).

        Example:
            >>> headers = {"x-rate-limit-limit": "150", "x-rate-limit-remaining": "0"}
            >>> RateState.from_headers({**headers, "x-rate-limit-reset": "900"}, now=0.0)
            RateState(limit=150, remaining=0, reset=900.0)
            >>> RateState.from_headers({**headers, "x-rate-limit-reset": "9" * 13}, now=0.0)
        """
        reset = reset_epoch(headers.get("x-rate-limit-reset"), now)
        if reset is None:
            return None
        try:
            limit = int(headers["x-rate-limit-limit"])
            remaining = int(headers["x-rate-limit-remaining"])
        except (KeyError, ValueError):
            return None
        if limit < 0 or remaining < 0:
            return None
        return cls(limit=limit, remaining=remaining, reset=reset)


@dataclass(frozen=True)
class PollSchedule:
    """The polling intervals of :meth:`Client.wait`."""

    poll_interval: float = 5.0
    max_poll_interval: float = 120.0
    lag: float = 0.05
    reserve: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.poll_interval <= self.max_poll_interval:
            raise ValueError(
                f"need 0 < poll_interval <= max_poll_interval, got {self.poll_interval} "
                f"and {self.max_poll_interval}"
            )

    def interval(self, age: float, stretch: float = 1.0) -> float:
        """The schedule alone: seconds between checks of a job ``age`` seconds old."""
        return min(
            max(self.poll_interval, self.lag * age) * stretch, self.max_poll_interval * stretch
        )

    def delay(self, age: float, rate: RateState | None = None, now: float = 0.0) -> float:
        """Seconds to wait before the next status request."""
        delay = self.interval(age)
        if rate is None:
            return delay
        until_reset = min(max(rate.reset - now, 0.0), MAX_RESET_AHEAD)
        budget = rate.remaining - math.ceil(rate.limit * self.reserve)
        if budget <= 0:
            return max(delay, until_reset + 1.0)
        horizon = min(until_reset, max(age, self.poll_interval))
        if self._fits(age, horizon, 1.0, budget):
            return delay
        low, high = 1.0, max(horizon / delay, 1.0) + 1.0
        for _ in range(30):
            middle = (low + high) / 2
            if self._fits(age, horizon, middle, budget):
                high = middle
            else:
                low = middle
        return self.interval(age, high)

    def _fits(self, age: float, horizon: float, stretch: float, budget: int) -> bool:
        """Whether the schedule makes at most ``budget`` checks in the next ``horizon``
        seconds (counting stops at the first check over the budget)."""
        elapsed, count = 0.0, 0
        while elapsed < horizon:
            elapsed += self.interval(age + elapsed, stretch)
            count += 1
            if count > budget:
                return False
        return True
