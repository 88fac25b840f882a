"""How old an answer of X may be and still be used again: ``max_age``.

X's Developer Policy asks for removal within 24 hours of a request. A complete job found
again by name (or its results in the cache) answers for the state of X when it ran: a
rerun a month later must not hand back a month-old answer. So a job created more than
``max_age`` seconds ago (judged by the server's clock) is not re-used: the run creates a
new job of the same name, and the next run finds that one (jobs are listed newest
first, and every older one is too old). The older job's results stay in the cache.

``max_age`` is seconds (an int or a float) or a :class:`~datetime.timedelta`; ``None``
takes an answer of any age (the behaviour before ``max_age``); ``0`` always runs a new
job. The default, :data:`DEFAULT_MAX_AGE`, is 24 hours. A job still running is waited
for whatever its age: its answer is being made now.

Example:
    >>> from datetime import timedelta
    >>> max_age_seconds(timedelta(hours=6)), max_age_seconds(90), max_age_seconds(None)
    (21600.0, 90.0, None)
    >>> max_age_seconds(-1)
    Traceback (most recent call last):
    compliance_frames.errors.InputError: max_age must be at least 0 seconds; got -1. ...
"""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta

from ..errors import ComplianceError, InputError
from ..hints import Argument, Choice, Hint
from ..models import ComplianceJob, shown

DEFAULT_MAX_AGE = 24 * 3600.0
"""Results of a job created up to 24 hours ago are re-used (X asks for removal within 24
hours of a request); older ones make a new job."""

MaxAge = int | float | timedelta | None
"""What ``max_age`` takes: seconds, a timedelta, or None for any age."""


class Default(enum.Enum):
    """The value of a ``max_age`` left out: the client's own (``Client(max_age=...)``)."""

    CLIENT = "the client's max_age"

    def __repr__(self) -> str:
        return "<the client's max_age>"


CLIENT_DEFAULT = Default.CLIENT


def max_age_seconds(value: object, *, error: type[ComplianceError] = InputError) -> float | None:
    """``max_age`` as seconds (None: any age), checked; ``error`` (an :class:`InputError`
    by default) says what was wrong otherwise.

    Example:
        >>> max_age_seconds(0), max_age_seconds(float("inf"))
        (0.0, None)
    """
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise error(
            f"max_age must be seconds (a number) or a datetime.timedelta; got "
            f"{shown(value, 40)} ({type(value).__name__}).",
            hint=_hint(),
        )
    if math.isnan(seconds) or seconds < 0:
        raise error(f"max_age must be at least 0 seconds; got {shown(value, 40)}.", hint=_hint())
    return None if math.isinf(seconds) else seconds


def _hint() -> Hint:
    return Hint(
        Choice("pass ", Argument("max_age", 6 * 3600), " (6 hours) or a timedelta"),
        Choice(Argument("max_age", 0), " to always run a new job"),
        Choice(Argument("max_age", None), " to take results of any age"),
    )


def age(job: ComplianceJob, now: datetime) -> float:
    """Seconds since ``job`` was created, at ``now`` (the server's time)."""
    return (now - job.created_at).total_seconds()


def fresh(job: ComplianceJob, now: datetime, max_age: float | None) -> bool:
    """Whether ``job``'s answer may be used at ``now``: created less than ``max_age``
    seconds ago (any job when ``max_age`` is None; none when it is 0). See :func:`young`."""
    return young(job.created_at, now, max_age)


def young(created_at: datetime, now: datetime, max_age: float | None) -> bool:
    """Whether something made at ``created_at`` is less than ``max_age`` seconds old at
    ``now`` (always when ``max_age`` is None; never when it is 0).

    Example:
        >>> from datetime import timezone
        >>> made = datetime(2026, 12, 1, tzinfo=timezone.utc)
        >>> later = datetime(2026, 12, 2, 1, tzinfo=timezone.utc)
        >>> young(made, later, 24 * 3600), young(made, later, 30 * 3600), young(made, later, None)
        (False, True, True)
        >>> young(later, later, 0)
        False
    """
    return max_age is None or (now - created_at).total_seconds() < max_age
