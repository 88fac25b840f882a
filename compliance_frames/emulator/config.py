"""The emulator's settings: durations, rates of compliance events, limits, file format.

Every duration is in seconds and defaults to what the real service does (upload URL
15 minutes, download URL 7 days, 150 requests per endpoint per 15 minutes).

Example:
    >>> config = EmulatorConfig(processing_seconds=0, events={"20": "deleted"})
    >>> config.events_for("tweets")[20][0].reason
    'deleted'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

JOB_TYPES = ("tweets", "users")

REASONS: dict[str, tuple[str, ...]] = {
    "tweets": ("deleted", "suspended", "protected", "scrub_geo", "deactivated"),
    "users": ("deleted", "suspended", "protected", "deactivated"),
}

DEFAULT_RATES: dict[str, dict[str, float]] = {
    "tweets": {
        "deleted": 0.05,
        "suspended": 0.015,
        "protected": 0.015,
        "scrub_geo": 0.01,
        "deactivated": 0.01,
    },
    "users": {"deleted": 0.03, "suspended": 0.03, "protected": 0.02, "deactivated": 0.02},
}
"""About 10% of IDs get an event, as in a dataset a few years old."""

EventValue = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
"""What ``events=`` maps an ID to: a reason, a record, or a list of either."""


@dataclass(frozen=True)
class EventSpec:
    """One compliance event the emulator must report for an ID.

    ``created_at`` and ``redacted_at`` are epoch milliseconds; ``None`` means derived
    from the ID (``created_at``) or left out of the record (``redacted_at`` when
    ``omit_redacted_at``).
    """

    reason: str
    action: str = "delete"
    created_at: int | None = None
    redacted_at: int | None = None
    omit_redacted_at: bool = False


@dataclass(frozen=True)
class EmulatorConfig:
    """All of the emulator's behaviour that is not fault injection.

    Args:
        events: explicit outcomes, ``{"<id>": "deleted", ...}`` for any job type, or
            ``{"tweets": {...}, "users": {...}}``. A value may be a reason, a record
            ``{"reason": ..., "redacted_at": None | iso-string, "created_at": ...,
            "action": ...}`` (``redacted_at: None`` leaves the field out, as some real
            records do) or a list of these for several events. When ``events`` is
            given, IDs not named in it have no event.
        processing_seconds: the floor of a job's processing time once uploaded.
        seconds_per_id: added processing time per uploaded ID.
        rates: derived outcomes when ``events`` is None: per job type, the share of
            IDs with each reason. Derivation is deterministic in the ID and ``seed``.
        redacted_at_missing: share of derived events without ``redacted_at``.
        upload_window / download_window: lifetime of the signed URLs.
        session_window: lifetime of a resumable upload session (Google Cloud Storage's
            7 days); a job whose session ends unfinished past its upload window expires.
        rate_limit / rate_window: requests allowed per endpoint per window.
        blank_lines / crlf: write results as real delivered files sometimes are.
        enrolled: False answers every API call with the 403 client-forbidden problem
            of an app whose plan lacks batch compliance.
        shuffle_keys: vary the key order of job objects between answers, as the real
            API does.
    """

    events: Mapping[str, Any] | None = None
    processing_seconds: float = 1.0
    seconds_per_id: float = 0.0
    rates: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: DEFAULT_RATES)
    redacted_at_missing: float = 0.1
    upload_window: float = 900.0
    download_window: float = 7 * 24 * 3600.0
    session_window: float = 7 * 24 * 3600.0
    rate_limit: int = 150
    rate_window: float = 900.0
    blank_lines: bool = False
    crlf: bool = False
    enrolled: bool = True
    shuffle_keys: bool = True
    seed: int = 0
    _events: dict[str, dict[int, list[EventSpec]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for name in (
            "processing_seconds",
            "seconds_per_id",
            "upload_window",
            "download_window",
            "session_window",
            "rate_window",
            "redacted_at_missing",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.rate_limit < 1:
            raise ValueError(f"rate_limit must be >= 1, got {self.rate_limit!r}")
        for job_type, rates in self.rates.items():
            if job_type not in JOB_TYPES:
                raise ValueError(f"rates: unknown job type {job_type!r}; use 'tweets' or 'users'")
            unknown = set(rates) - set(REASONS[job_type])
            if unknown:
                raise ValueError(
                    f"rates[{job_type!r}]: unknown reason(s) {sorted(unknown)}; "
                    f"choose from {list(REASONS[job_type])}"
                )
            if sum(rates.values()) > 1 or any(rate < 0 for rate in rates.values()):
                raise ValueError(f"rates[{job_type!r}] must be >= 0 and sum to at most 1")
        object.__setattr__(
            self, "_events", None if self.events is None else _normalise(self.events)
        )

    def events_for(self, job_type: str) -> dict[int, list[EventSpec]] | None:
        """The explicit events of a job type by integer ID, or None when outcomes are derived."""
        if self._events is None:
            return None
        return self._events[job_type]


def _normalise(events: Mapping[str, Any]) -> dict[str, dict[int, list[EventSpec]]]:
    by_type: dict[str, dict[int, list[EventSpec]]] = {t: {} for t in JOB_TYPES}
    if set(events) & set(JOB_TYPES):
        if not set(events) <= set(JOB_TYPES):
            raise ValueError(
                "events: either map IDs to outcomes, or job types to such maps, not both"
            )
        groups = [(job_type, mapping) for job_type, mapping in events.items()]
    else:
        groups = [(job_type, events) for job_type in JOB_TYPES]
    for job_type, mapping in groups:
        for key, value in mapping.items():
            text = str(key)
            if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 19):
                raise ValueError(f"events: {key!r} is not a 1-19 digit ID")
            items = [value] if isinstance(value, (str, Mapping)) else list(value)
            by_type[job_type][int(text)] = [_spec(item, text) for item in items]
    return by_type


def _spec(item: str | Mapping[str, Any], key: str) -> EventSpec:
    if isinstance(item, str):
        return EventSpec(reason=item)
    if "reason" not in item:
        raise ValueError(f"events[{key!r}]: a record needs a 'reason'")
    unknown = set(item) - {"reason", "action", "created_at", "redacted_at"}
    if unknown:
        raise ValueError(f"events[{key!r}]: unknown field(s) {sorted(unknown)}")
    return EventSpec(
        reason=str(item["reason"]),
        action=str(item.get("action", "delete")),
        created_at=_millis(item.get("created_at")),
        redacted_at=_millis(item.get("redacted_at")),
        omit_redacted_at="redacted_at" in item and item["redacted_at"] is None,
    )


def _millis(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    raise ValueError(f"events: timestamps must be ISO strings or datetimes, got {value!r}")
