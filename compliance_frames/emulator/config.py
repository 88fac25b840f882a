"""The emulator's settings: flow, durations, rates of compliance events, limits, file format.

Every duration is in seconds and defaults to what the real service does (upload URL
15 minutes, download URL 7 days, 150 requests per endpoint per 15 minutes, byte-path
uploads of at most 128 MiB = 134,217,728 bytes, as ``text/plain`` or
``application/octet-stream``).

Two generations of the service are served (``flow``):

- ``"bytepath"`` (the default, the service since September 2026): uploads and downloads
  go to the API host with the bearer token; results carry ``delete`` / ``rehydrate`` /
  ``scrub_geo`` actions, one event per ID, and ``invalid_id`` records for lines that are
  not IDs.
- ``"gcs"`` (2021-2026): uploads and downloads go to a storage host with signed URLs in
  the shape of Google Cloud Storage; every event has the action ``delete``.

Example:
    >>> config = EmulatorConfig(processing_seconds=0, events={"20": "deleted"})
    >>> config.flow, config.events_for("tweets")[20][0].reason
    ('bytepath', 'deleted')
    >>> EmulatorConfig(flow="gcs").rates_for("tweets")["scrub_geo"]
    0.01
    >>> EmulatorConfig(upload_types=("text/plain",)).upload_types
    ('text/plain',)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

JOB_TYPES = ("tweets", "users")
FLOWS = ("bytepath", "gcs")
"""The generations of the service: the byte path on the API host, and Cloud Storage."""

REASONS: dict[str, tuple[str, ...]] = {
    "tweets": (
        "deleted",
        "suspended",
        "protected",
        "deactivated",
        "tweet_edited",
        "geo_scrubbed",
    ),
    "users": ("deleted", "suspended", "protected", "deactivated"),
}
"""The reasons of the byte-path flow (the default), per job type."""

GCS_REASONS: dict[str, tuple[str, ...]] = {
    "tweets": ("deleted", "suspended", "protected", "scrub_geo", "deactivated"),
    "users": ("deleted", "suspended", "protected", "deactivated"),
}
"""The reasons of the Cloud Storage flow, per job type (every one with action ``delete``)."""

DEFAULT_RATES: dict[str, dict[str, float]] = {
    "tweets": {
        "deleted": 0.05,
        "suspended": 0.015,
        "protected": 0.015,
        "deactivated": 0.01,
        "tweet_edited": 0.02,
        "geo_scrubbed": 0.01,
    },
    "users": {"deleted": 0.03, "suspended": 0.03, "protected": 0.02, "deactivated": 0.02},
}
"""Byte-path flow: about 10% of IDs are gone, 2% of posts were edited, 1% lost their geo data."""

GCS_RATES: dict[str, dict[str, float]] = {
    "tweets": {
        "deleted": 0.05,
        "suspended": 0.015,
        "protected": 0.015,
        "scrub_geo": 0.01,
        "deactivated": 0.01,
    },
    "users": {"deleted": 0.03, "suspended": 0.03, "protected": 0.02, "deactivated": 0.02},
}
"""Cloud Storage flow: about 10% of IDs get an event, as in a dataset a few years old."""

UPLOAD_TYPES = ("text/plain", "application/octet-stream")
"""The content types a byte-path upload is accepted in by default (any other is a 415)."""

MAX_UPLOAD_BYTES = 128 * 1024 * 1024
"""The largest byte-path upload by default: 128 MiB (134,217,728 bytes), X's limit."""

FLOW_REASONS = {"bytepath": REASONS, "gcs": GCS_REASONS}
FLOW_RATES = {"bytepath": DEFAULT_RATES, "gcs": GCS_RATES}

ACTIONS = {"tweet_edited": "rehydrate", "geo_scrubbed": "scrub_geo", "scrub_geo": "scrub_geo"}
"""Byte-path flow: the action of a reason (any other reason is a ``delete``)."""

ACTION_PRIORITY = {"delete": 0, "rehydrate": 1, "scrub_geo": 2}
"""Byte-path flow: which event of an ID is reported (lowest first; other actions last)."""

INVALID_ID = "invalid_id"
"""The ``events=`` value that answers an ID as an ``{"id": ..., "error": "invalid_id"}`` record."""


EventValue = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
"""What ``events=`` maps an ID to: a reason, a record, or a list of either."""


def action_of(reason: str, flow: str) -> str:
    """The action an event of ``reason`` carries when none is given.

    Example:
        >>> action_of("tweet_edited", "bytepath"), action_of("scrub_geo", "gcs")
        ('rehydrate', 'delete')
    """
    return ACTIONS.get(reason, "delete") if flow == "bytepath" else "delete"


@dataclass(frozen=True)
class EventSpec:
    """One compliance event the emulator must report for an ID.

    ``created_at`` and ``redacted_at`` are epoch milliseconds; ``None`` means derived
    from the ID (``created_at``) or absent (``redacted_at`` when ``omit_redacted_at``:
    left out of the record in the gcs flow, ``null`` in the byte-path flow). A spec
    whose reason is ``"invalid_id"`` answers the ID as an invalid line.
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
        flow: ``"bytepath"`` (default: transfers on the API host with the bearer token,
            the results format of 2026) or ``"gcs"`` (signed Cloud Storage URLs on a
            storage host, the results format of 2021-2026).
        events: explicit outcomes, ``{"<id>": "deleted", ...}`` for any job type, or
            ``{"tweets": {...}, "users": {...}}``. A value may be a reason, a record
            ``{"reason": ..., "redacted_at": None | iso-string, "created_at": ...,
            "action": ...}`` (``redacted_at: None`` leaves the field out in the gcs
            flow, as some real records do, and makes it ``null`` in the byte-path flow)
            or a list of these. When ``events`` is given, IDs not named in it have no
            event. The action defaults to the reason's (byte-path: ``tweet_edited`` is
            ``rehydrate``, ``geo_scrubbed`` and ``scrub_geo`` are ``scrub_geo``, any
            other reason ``delete``; gcs: always ``delete``). In the byte-path flow an ID
            gets one event, the first of the highest priority (delete > rehydrate >
            scrub_geo), and the value ``"invalid_id"`` answers it as an invalid line.
        processing_seconds: the floor of a job's processing time once uploaded.
        seconds_per_id: added processing time per uploaded ID.
        rates: derived outcomes when ``events`` is None: per job type, the share of
            IDs with each reason of the flow (:data:`REASONS` or :data:`GCS_REASONS`).
            Derivation is deterministic in the ID and ``seed``. None (the default): the
            flow's (:data:`DEFAULT_RATES` or :data:`GCS_RATES`); :meth:`rates_for`
            gives the rates in effect.
        redacted_at_missing: share of derived events without ``redacted_at`` (absent in
            the gcs flow, ``null`` in the byte-path one, where ``deleted_at`` still
            carries the time of a deletion).
        upload_window / download_window: lifetime of the upload and download URLs.
        session_window: lifetime of a resumable upload session (Google Cloud Storage's
            7 days; gcs flow); a job whose session ends unfinished past its upload
            window expires.
        max_upload_bytes: byte-path flow only: the largest upload accepted, in bytes
            (default 128 MiB = 134,217,728 bytes); more is answered 413. Ignored in the
            gcs flow, whose storage host has no such limit.
        upload_types: byte-path flow only: the content types an upload is accepted in
            (default both ``text/plain`` and ``application/octet-stream``, compared
            without parameters and case); any other is answered 415 with a detail that
            lists these. A non-empty tuple of strings; give one type to test a client's
            fallback on 415. Ignored in the gcs flow, whose signed upload URLs require
            exactly ``text/plain``.
        rate_limit / rate_window: requests allowed per endpoint per window. Every
            endpoint of the API host has a window of its own: ``create``, ``list``,
            ``get``, and in the byte-path flow ``cancel``, ``upload`` and ``download``;
            the storage host of the gcs flow has none (see :mod:`.ratelimit`).
        blank_lines / crlf: write results as real delivered files sometimes are.
        enrolled: False answers every API call with the 403 client-forbidden problem
            of an app whose plan lacks batch compliance.
        shuffle_keys: vary the key order of job objects between answers, as the real
            API does.
    """

    events: Mapping[str, Any] | None = None
    processing_seconds: float = 1.0
    seconds_per_id: float = 0.0
    rates: Mapping[str, Mapping[str, float]] | None = None
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
    flow: str = "bytepath"
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    upload_types: tuple[str, ...] = UPLOAD_TYPES
    _events: dict[str, dict[int, list[EventSpec]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.flow not in FLOWS:
            raise ValueError(
                f"flow must be 'bytepath' (transfers on the API host, 2026) or 'gcs' "
                f"(Cloud Storage signed URLs, 2021-2026), got {self.flow!r}"
            )
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
        if self.max_upload_bytes < 1:
            raise ValueError(f"max_upload_bytes must be >= 1, got {self.max_upload_bytes!r}")
        object.__setattr__(self, "upload_types", _upload_types(self.upload_types))
        reasons = FLOW_REASONS[self.flow]
        for job_type, rates in (self.rates or {}).items():
            if job_type not in JOB_TYPES:
                raise ValueError(f"rates: unknown job type {job_type!r}; use 'tweets' or 'users'")
            unknown = set(rates) - set(reasons[job_type])
            if unknown:
                raise ValueError(
                    f"rates[{job_type!r}]: unknown reason(s) {sorted(unknown)} in the "
                    f"{self.flow} flow; choose from {list(reasons[job_type])}"
                )
            if sum(rates.values()) > 1 or any(rate < 0 for rate in rates.values()):
                raise ValueError(f"rates[{job_type!r}] must be >= 0 and sum to at most 1")
        object.__setattr__(
            self, "_events", None if self.events is None else _normalise(self.events, self.flow)
        )

    def events_for(self, job_type: str) -> dict[int, list[EventSpec]] | None:
        """The explicit events of a job type by integer ID, or None when outcomes are derived.

        In the byte-path flow every list holds exactly one event.
        """
        if self._events is None:
            return None
        return self._events[job_type]

    def rates_for(self, job_type: str) -> dict[str, float]:
        """The derived outcomes' rates of a job type, in the flow's order of reasons
        (the flow's defaults when ``rates`` is None)."""
        rates = (FLOW_RATES[self.flow] if self.rates is None else self.rates).get(job_type, {})
        return {
            reason: rates[reason]
            for reason in FLOW_REASONS[self.flow][job_type]
            if rates.get(reason)
        }


def _upload_types(value: Any) -> tuple[str, ...]:
    """``upload_types`` checked: a non-empty tuple (or list) of ``type/subtype`` strings."""
    if not isinstance(value, (tuple, list)) or not value:
        raise ValueError(
            "upload_types must be a non-empty tuple of content types such as "
            f"('text/plain', 'application/octet-stream'), got {value!r}"
        )
    for item in value:
        parts = item.split("/") if isinstance(item, str) else []
        if len(parts) != 2 or not all(parts) or any(c in item for c in "; \t"):
            raise ValueError(
                f"upload_types: {item!r} is not a content type such as 'text/plain' "
                "(type/subtype, without parameters)"
            )
    return tuple(value)


def _normalise(events: Mapping[str, Any], flow: str) -> dict[str, dict[int, list[EventSpec]]]:
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
            specs = [_spec(item, text, flow) for item in items]
            by_type[job_type][int(text)] = _one_event(specs) if flow == "bytepath" else specs
    return by_type


def _one_event(specs: list[EventSpec]) -> list[EventSpec]:
    """Byte-path flow: the one event an ID is answered with (an invalid ID has no events)."""
    if not specs:
        return []
    invalid = [spec for spec in specs if spec.reason == INVALID_ID]
    if invalid:
        return invalid[:1]
    ranked = sorted(specs, key=lambda spec: ACTION_PRIORITY.get(spec.action, len(ACTION_PRIORITY)))
    return ranked[:1]  # sorted() is stable: among equals, the first given


def _spec(item: str | Mapping[str, Any], key: str, flow: str) -> EventSpec:
    if isinstance(item, str):
        item = {"reason": item}
    if "reason" not in item:
        raise ValueError(f"events[{key!r}]: a record needs a 'reason'")
    unknown = set(item) - {"reason", "action", "created_at", "redacted_at"}
    if unknown:
        raise ValueError(f"events[{key!r}]: unknown field(s) {sorted(unknown)}")
    reason = str(item["reason"])
    if reason == INVALID_ID and flow != "bytepath":
        raise ValueError(
            f"events[{key!r}]: 'invalid_id' records exist in the byte-path flow only "
            "(in the gcs flow a line that is not an ID fails the job)"
        )
    return EventSpec(
        reason=reason,
        action=str(item.get("action") or action_of(reason, flow)),
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
