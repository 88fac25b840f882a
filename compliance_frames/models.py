"""Typed models of the batch compliance API: job types, statuses and jobs.

Example:
    >>> job = ComplianceJob.from_api({
    ...     "id": "1446017776678801409", "type": "tweets", "status": "created",
    ...     "created_at": "2021-10-07T07:41:18.000Z", "resumable": False,
    ...     "upload_url": "https://storage.googleapis.com/u",
    ...     "upload_expires_at": "2021-10-07T07:56:18.000Z",
    ...     "download_url": "https://storage.googleapis.com/d",
    ...     "download_expires_at": "2021-10-14T07:41:18.000Z",
    ... })
    >>> job.status is JobStatus.CREATED, job.created_at.isoformat()
    (True, '2021-10-07T07:41:18+00:00')
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeGuard

from .errors import InputError, MalformedJobError

__all__ = ["ComplianceJob", "JobStatus", "JobType", "is_job_id", "parse_timestamp", "shown"]

_JOB_ID = re.compile(r"[0-9]{1,19}")


def is_job_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a job id as documented: a string of 1 to 19 ASCII digits.

    Example:
        >>> is_job_id("1446017776678801409"), is_job_id("../../x"), is_job_id("1" * 20)
        (True, False, False)
    """
    return isinstance(value, str) and _JOB_ID.fullmatch(value) is not None


_QUERY = re.compile(r"([^\s?#\"']*/[^\s?#\"']*)\?[^\s#\"']*")  # a URL's or a path's query


def shown(value: Any, limit: int = 300) -> str:
    """``value`` (an answer, or part of one) as JSON for a message: the queries of URLs
    and paths (a signed URL's credentials) cut, at most ``limit`` characters.

    Example:
        >>> shown({"download_url": "https://storage/r?X-Goog-Signature=abc", "id": 1})
        '{"download_url": "https://storage/r?…", "id": 1}'
        >>> len(shown("x" * 1000))
        300
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a structure that holds itself: not from JSON
        text = repr(value)
    text = _QUERY.sub(r"\1?…", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JobType(str, enum.Enum):
    """What a job checks: tweet IDs or user IDs (never both in one job)."""

    TWEETS = "tweets"
    USERS = "users"

    def __str__(self) -> str:
        return self.value


class JobStatus(str, enum.Enum):
    """A job's status. ``expired``: never uploaded within its upload window.

    A status the API may add in the future is kept as a member of its own rather
    than refused, so that a client of today keeps working (it is not terminal).
    """

    CREATED = "created"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"
    EXPIRED = "expired"

    @classmethod
    def _missing_(cls, value: object) -> JobStatus | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member

    @property
    def is_terminal(self) -> bool:
        """True once the status can no longer change."""
        return self in (JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.EXPIRED)

    def __str__(self) -> str:
        return self.value


def parse_timestamp(value: str) -> datetime:
    """Parse the API's timestamps (``2021-10-07T07:41:18.000Z``, ``...+00:00``) as aware UTC.

    Anything else (not a string, not ISO 8601, out of range) raises ``ValueError``.

    Example:
        >>> parse_timestamp("2021-10-07T09:41:18.000+02:00").isoformat()
        '2021-10-07T07:41:18+00:00'
    """
    if not isinstance(value, str):
        raise ValueError(f"a timestamp is a string, not {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except OverflowError:  # within a day of year 1 or 9999, with an offset
        raise ValueError(f"timestamp {value!r} is out of range") from None


_KNOWN = frozenset(
    {
        "id",
        "type",
        "name",
        "status",
        "created_at",
        "upload_url",
        "upload_expires_at",
        "download_url",
        "download_expires_at",
        "resumable",
        "error",
    }
)
_TYPES = frozenset(kind.value for kind in JobType)


class _Unusable(Exception):
    """What is wrong with a job object from the API (said in a MalformedJobError)."""


def _kind(value: object) -> str:
    """``null``, ``a str``, ``an int``: what a value is, for messages."""
    if value is None:
        return "null"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _text(data: Mapping[str, Any], key: str) -> str:
    """A string field that must be there."""
    if key not in data:
        raise _Unusable(f"it has no {key!r}")
    value = data[key]
    if not isinstance(value, str):
        raise _Unusable(f"its {key!r} is {_kind(value)}, not a string")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    """A string field that may be absent or null."""
    return None if data.get(key) is None else _text(data, key)


def _stamp(data: Mapping[str, Any], key: str) -> datetime:
    try:
        return parse_timestamp(_text(data, key))
    except ValueError:
        raise _Unusable(f"its {key!r} {shown(data[key], 60)} is not a timestamp") from None


@dataclass(frozen=True)
class ComplianceJob:
    """A batch compliance job as the API describes it.

    Timestamps are timezone-aware (UTC). ``error`` is set for failed jobs. Fields the
    API adds that this version does not know are kept in ``extra``.
    """

    id: str
    type: JobType
    status: JobStatus
    created_at: datetime
    upload_url: str
    upload_expires_at: datetime
    download_url: str
    download_expires_at: datetime
    resumable: bool = False
    name: str | None = None
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The id names files (results, ledger): never anything but 1-19 digits.
        if not is_job_id(self.id):
            raise InputError(
                f"{str(self.id)[:40]!r} is not a job id (1-19 digits): a job needs its id as X "
                "gave it."
            )

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, context: str = "a request") -> ComplianceJob:
        """Build a job from the API's ``data`` object (key order does not matter), checked.

        What this client cannot rely on raises a
        :class:`~compliance_frames.errors.MalformedJobError` (a ``ServerError``) saying
        what was wrong and showing what came (see :func:`shown`): a missing field,
        a value of the wrong type, an id that is not 1-19 digits, a ``type`` other than
        tweets or users, a timestamp that is not one. ``context`` says which request the
        job answered, for the message. An unknown ``status`` is kept (see
        :class:`JobStatus`).

        Example:
            >>> try:
            ...     ComplianceJob.from_api({"id": "../x", "type": "tweets"}, context="a create")
            ... except MalformedJobError as exc:  # a ServerError
            ...     print(str(exc).split(": {")[0])
            X answered a create with a job this client cannot use (its id "../x" is not 1-19 digits)
        """
        try:
            return cls._parse(data)
        except _Unusable as exc:
            raise MalformedJobError(
                f"X answered {context} with a job this client cannot use ({exc}): {shown(data)}. "
                "The fault is on X's side (or a proxy's): try again later, and report it if "
                "it persists."
            ) from None

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> ComplianceJob:
        if not isinstance(data, Mapping):
            raise _Unusable(f"a job is an object, not {_kind(data)}")
        raw_id = data.get("id")
        job_id = str(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else raw_id
        if "id" not in data:
            raise _Unusable("it has no 'id'")
        if not is_job_id(job_id):
            raise _Unusable(f"its id {shown(job_id, 40)} is not 1-19 digits")
        kind = _text(data, "type")
        if kind not in _TYPES:
            raise _Unusable(f"its type {shown(kind, 40)} is neither 'tweets' nor 'users'")
        status = _text(data, "status")
        if not status.strip():
            raise _Unusable("its status is empty")
        resumable = data.get("resumable")
        if not isinstance(resumable, (bool, type(None))):
            raise _Unusable(f"'resumable' is {_kind(resumable)}, not true or false")
        return cls(
            id=job_id,
            type=JobType(kind),
            status=JobStatus(status),
            created_at=_stamp(data, "created_at"),
            upload_url=_text(data, "upload_url"),
            upload_expires_at=_stamp(data, "upload_expires_at"),
            download_url=_text(data, "download_url"),
            download_expires_at=_stamp(data, "download_expires_at"),
            resumable=bool(resumable),
            name=_optional_text(data, "name"),
            error=_optional_text(data, "error"),
            extra={key: value for key, value in data.items() if key not in _KNOWN},
        )

    def to_api(self) -> dict[str, Any]:
        """The job as the API would write it (for ``--json`` output and round trips)."""

        def stamp(moment: datetime) -> str:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type.value,
            "status": self.status.value,
            "created_at": stamp(self.created_at),
            "resumable": self.resumable,
            "upload_url": self.upload_url,
            "upload_expires_at": stamp(self.upload_expires_at),
            "download_url": self.download_url,
            "download_expires_at": stamp(self.download_expires_at),
        }
        if self.name is not None:
            data["name"] = self.name
        if self.error is not None:
            data["error"] = self.error
        data.update(self.extra)
        return data

    def upload_open(self, now: datetime | None = None, margin: float = 0.0) -> bool:
        """Whether the upload URL still works at ``now`` (with ``margin`` seconds to spare)."""
        now = now or datetime.now(timezone.utc)
        return (self.upload_expires_at - now).total_seconds() > margin

    def download_open(self, now: datetime | None = None, margin: float = 0.0) -> bool:
        """Whether the download URL still works at ``now`` (with ``margin`` seconds to spare)."""
        now = now or datetime.now(timezone.utc)
        return (self.download_expires_at - now).total_seconds() > margin

    def describe(self) -> str:
        """``job 1446017776678801409 ('my-job', tweets)``: for messages."""
        label = f"{self.name!r}, " if self.name else ""
        return f"job {self.id} ({label}{self.type.value})"

    def __repr__(self) -> str:
        # The signed URLs are long and grant access to the upload or the results: left out.
        name = f", name={self.name!r}" if self.name is not None else ""
        error = f", error={self.error!r}" if self.error is not None else ""
        return (
            f"ComplianceJob(id={self.id!r}, type={self.type.value!r}, status={self.status.value!r}"
            f"{name}, created_at={self.created_at.isoformat()!r}{error})"
        )
