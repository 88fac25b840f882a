"""Typed models: statuses, job types, and jobs parsed from real recorded answers."""

from __future__ import annotations

import json
from datetime import timezone
from pathlib import Path

import pytest

from compliance_frames import ComplianceJob, JobStatus, JobType

RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded"


def recorded_jobs() -> list[dict[str, object]]:
    jobs = []
    for path in RECORDED.glob("*.json"):
        data = json.loads(path.read_text())
        bodies = [exchange["body"] for exchange in data] if isinstance(data, list) else [data]
        for body in bodies:
            items = body["data"] if isinstance(body["data"], list) else [body["data"]]
            jobs.extend(items)
    return jobs


@pytest.mark.parametrize("data", recorded_jobs(), ids=lambda d: f"{d['id']}-{d['status']}")
def test_recorded_jobs_parse_and_round_trip(data: dict[str, object]) -> None:
    job = ComplianceJob.from_api(data)
    assert job.id == data["id"]
    assert job.type is JobType(data["type"])
    assert job.status is JobStatus(data["status"])
    for moment in (job.created_at, job.upload_expires_at, job.download_expires_at):
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timezone.utc.utcoffset(None)
    assert (job.upload_expires_at - job.created_at).total_seconds() == 900
    assert job.to_api() == data
    assert "X-Goog-Signature" not in repr(job)


def test_expired_is_a_status() -> None:
    assert JobStatus("expired") is JobStatus.EXPIRED
    assert JobStatus.EXPIRED.is_terminal
    assert not JobStatus.IN_PROGRESS.is_terminal


def test_unknown_fields_and_statuses_are_kept() -> None:
    data = dict(recorded_jobs()[0])
    data.update(status="queued", estimated_completion="2021-10-07T08:41:18.000Z", error=None)
    job = ComplianceJob.from_api(data)
    assert job.status.value == "queued"
    assert not job.status.is_terminal
    assert job.extra == {"estimated_completion": "2021-10-07T08:41:18.000Z"}


def test_failed_jobs_carry_their_error() -> None:
    data = dict(recorded_jobs()[0])
    data.update(status="failed", error="Invalid file format")
    job = ComplianceJob.from_api(data)
    assert job.error == "Invalid file format"
    assert "Invalid file format" in repr(job)


def test_both_timestamp_styles_parse() -> None:
    from compliance_frames.models import parse_timestamp

    a = parse_timestamp("2019-08-10T12:22:39.022Z")
    b = parse_timestamp("2019-03-02T03:37:59+00:00")
    assert (a.year, a.microsecond, b.hour) == (2019, 22000, 3)
    assert a.tzinfo is not None
    assert b.tzinfo is not None
