"""How long to wait before asking again whether a job is done.

Today's schedule: the interval starts at ``poll_interval`` and grows with the job's
age (``lag`` of it: 5% by default, so completion is noticed within about 5% of the
job's duration), up to ``max_poll_interval``. Right after an upload the first checks
come sooner (``first_check``, then doubling up to ``poll_interval``): a job of a few
IDs is often done in less than a second.

With a :class:`Forecast` (from how long the app's past jobs of the type took for as
many IDs: see :mod:`~compliance_frames.client.history`), checks before the predicted
finish are sparse (``lag`` of the predicted duration apart at most, and half the job's
age: a job that finishes early is still seen within 5% of the prediction or half its
own age), those around it (``spread``) come on today's schedule, and once it is past,
today's schedule takes over: a wrong prediction is never worse than no prediction
after the predicted time.

It also reads the rate window (``x-rate-limit-*``). It projects how many requests the
schedule would make over the time the job is likely still to take (as long again as
it has already taken, up to the window's reset) and, if that is more than the budget
(what remains, less a ``reserve`` share of the limit kept for everything else), it
stretches the schedule just enough to fit. Past the budget, a long wait waits for the
reset, but a young one (a small job just uploaded: one check of a notebook's dozens)
goes on at a pace that spends at most half of what remains before the reset: it is
not held up for the rest of the window. With nothing left, every wait is for the
reset. Every check re-reads what remains, so polling never draws a 429.

A reset that is plainly not epoch seconds (milliseconds, years away, negative, not a
number) is not believed (:func:`reset_epoch`): the window is then unknown, and no wait
is ever longer than :data:`MAX_RESET_AHEAD`.

Example:
    >>> schedule = PollSchedule(poll_interval=5, max_poll_interval=120)
    >>> schedule.delay(age=0), schedule.delay(age=1000), schedule.delay(age=10**5)
    (5.0, 50.0, 120.0)
    >>> schedule.delay(age=0.2, waited=0.0), schedule.delay(age=2.2, waited=2.0)
    (0.5, 2.0)
    >>> forecast = Forecast(finish=6 * 3600.0)
    >>> [schedule.delay(age=a, forecast=forecast) for a in (60, 7200, 20500, 21000)]
    [30.0, 1080.0, 120.0, 120.0]
    >>> schedule.delay(age=0, rate=RateState(limit=150, remaining=149, reset=900.0), now=0.0)
    5.0
    >>> schedule.delay(age=1000, rate=RateState(limit=150, remaining=80, reset=900.0), now=0.0) > 50
    True
    >>> schedule.delay(age=600, rate=RateState(limit=150, remaining=60, reset=1000.0), now=100.0)
    901.0
    >>> round(schedule.delay(age=1, rate=RateState(limit=150, remaining=60, reset=1000.0),
    ...                      now=100.0, waited=0.5), 1)
    30.5
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
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
class Forecast:
    """When a job is predicted to finish: ``finish`` seconds after its creation, give
    or take ``spread`` of that (checked on today's schedule within it).

    Example:
        >>> forecast = Forecast.from_history([(1000, 600.0), (1000, 620.0), (900, 540.0)], 2000)
        >>> forecast.finish, forecast.early < forecast.finish < forecast.late
        (1200.0, True)
        >>> Forecast.from_history([(10, 5.0)], 1_000_000) is None  # nothing alike
        True
    """

    finish: float
    spread: float = 0.05

    MIN_SPREAD = 0.05
    MAX_SPREAD = 0.5
    SIMILAR = 4.0
    """Past jobs with up to this many times more (or fewer) IDs are alike enough to
    scale; others say nothing of this one."""
    RECENT = 20

    @property
    def early(self) -> float:
        """The job's age where checks become dense."""
        return self.finish * (1 - self.spread)

    @property
    def late(self) -> float:
        """The job's age after which the prediction is taken as wrong."""
        return self.finish * (1 + self.spread)

    @classmethod
    def from_history(
        cls, past: Sequence[tuple[int, float]], n_ids: int, floor: float = 1.0
    ) -> Forecast | None:
        """A forecast for ``n_ids`` IDs from ``past`` ``(IDs, seconds)`` jobs (oldest
        first): the median of the recent alike jobs' seconds per ID, times ``n_ids``, at
        least ``floor``; the spread covers how far they were apart. None without alike
        jobs."""
        alike = [
            (count, seconds)
            for count, seconds in past
            if count > 0 and seconds > 0 and 1 / cls.SIMILAR <= n_ids / count <= cls.SIMILAR
        ][-cls.RECENT :]
        if n_ids <= 0 or not alike:
            return None
        scaled = [seconds * n_ids / count for count, seconds in alike]
        middle = statistics.median(scaled)
        apart = max(abs(value - middle) for value in scaled) / middle
        finish = max(middle, floor)
        spread = min(max(apart + 0.02, cls.MIN_SPREAD), cls.MAX_SPREAD)
        return cls(finish=finish, spread=spread)


@dataclass(frozen=True)
class PollSchedule:
    """The polling intervals of :meth:`Client.wait`."""

    poll_interval: float = 5.0
    max_poll_interval: float = 120.0
    lag: float = 0.05
    reserve: float = 0.5
    first_check: float = 0.5
    """The first wait after an upload (at most ``poll_interval``); it doubles from there."""
    early_lag: float = 0.5
    """Before a forecast's finish, checks are at most this share of the job's age apart
    (and ``lag`` of the predicted duration): a job that finishes well before its
    forecast is seen within half its age."""

    def __post_init__(self) -> None:
        if not 0 < self.poll_interval <= self.max_poll_interval:
            raise ValueError(
                f"need 0 < poll_interval <= max_poll_interval, got {self.poll_interval} "
                f"and {self.max_poll_interval}"
            )

    def interval(self, age: float, stretch: float = 1.0, forecast: Forecast | None = None) -> float:
        """The schedule alone: seconds between checks of a job ``age`` seconds old."""
        today = min(max(self.poll_interval, self.lag * age), self.max_poll_interval)
        if forecast is not None and age < forecast.early:
            sparse = min(self.lag * forecast.finish, forecast.early - age, self.early_lag * age)
            today = max(today, sparse)  # never denser than today's
        return today * stretch

    def delay(
        self,
        age: float,
        rate: RateState | None = None,
        now: float = 0.0,
        *,
        forecast: Forecast | None = None,
        waited: float | None = None,
    ) -> float:
        """Seconds to wait before the next status request to a job ``age`` seconds old,
        ``waited`` seconds into this wait (None: unknown, taken as long)."""
        delay = self.interval(age, forecast=forecast)
        if self._young(age, waited) and (forecast is None or forecast.early - age < delay):
            delay = min(delay, max(min(self.first_check, self.poll_interval), waited or 0.0))
        if rate is None:
            return delay
        until_reset = min(max(rate.reset - now, 0.0), MAX_RESET_AHEAD)
        if rate.remaining <= 1:  # nothing left: only the reset helps
            return max(delay, until_reset + 1.0)
        budget = rate.remaining - math.ceil(rate.limit * self.reserve)
        if budget <= 0:
            if not self._young(age, waited):
                return max(delay, until_reset + 1.0)
            # a check just after an upload: slow down, but spend at most half of what is left
            pace = until_reset / max((rate.remaining - 1) * (1 - self.reserve), 1.0)
            return max(delay, min(pace, until_reset + 1.0))
        horizon = min(until_reset, max(age, self.poll_interval))
        if self._fits(age, horizon, 1.0, budget, forecast):
            return delay
        low, high = 1.0, max(horizon / delay, 1.0) + 1.0
        for _ in range(30):
            middle = (low + high) / 2
            if self._fits(age, horizon, middle, budget, forecast):
                high = middle
            else:
                low = middle
        return self.interval(age, high, forecast)

    def _young(self, age: float, waited: float | None) -> bool:
        """Whether this wait has just begun, on a job just made: a job that may be done
        in a moment, checked soon (and not held up for a rate window's reset)."""
        return waited is not None and waited < self.poll_interval and age < self.max_poll_interval

    def _fits(
        self, age: float, horizon: float, stretch: float, budget: int, forecast: Forecast | None
    ) -> bool:
        """Whether the schedule makes at most ``budget`` checks in the next ``horizon``
        seconds (counting stops at the first check over the budget)."""
        elapsed, count = 0.0, 0
        while elapsed < horizon:
            elapsed += self.interval(age + elapsed, stretch, forecast)
            count += 1
            if count > budget:
                return False
        return True
