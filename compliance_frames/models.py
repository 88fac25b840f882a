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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["ComplianceJob", "JobStatus", "JobType", "parse_timestamp"]


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
    """Parse the API's timestamps (``2021-10-07T07:41:18.000Z``, ``...+00:00``) as aware UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ComplianceJob:
        """Build a job from the API's ``data`` object (key order does not matter)."""
        return cls(
            id=str(data["id"]),
            type=JobType(data["type"]),
            status=JobStatus(data["status"]),
            created_at=parse_timestamp(data["created_at"]),
            upload_url=data["upload_url"],
            upload_expires_at=parse_timestamp(data["upload_expires_at"]),
            download_url=data["download_url"],
            download_expires_at=parse_timestamp(data["download_expires_at"]),
            resumable=bool(data.get("resumable", False)),
            name=data.get("name"),
            error=data.get("error"),
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
