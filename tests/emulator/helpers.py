"""Small helpers for driving the emulator with plain requests, in either flow."""

from __future__ import annotations

import time
from typing import Any

import requests

from compliance_frames.emulator import Emulator
from tests.conftest import validating_session

TEXT = {"Content-Type": "text/plain"}


def jobs_url(emulator: Emulator, job_id: str | None = None) -> str:
    """The jobs endpoint, or one job's."""
    url = emulator.base_url + "/2/compliance/jobs"
    return url if job_id is None else f"{url}/{job_id}"


def transfer_headers(emulator: Emulator, content_type: str | None = "text/plain") -> dict[str, str]:
    """The headers of an upload (with ``content_type``) or a download: the bearer token in
    the byte-path flow, none on the storage host's signed URLs (gcs flow)."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    if emulator.config.flow == "bytepath":
        headers["Authorization"] = f"Bearer {emulator.bearer_token}"
    return headers


def create(api: requests.Session, emulator: Emulator, **body: Any) -> dict[str, Any]:
    """Create a job (type tweets unless given) and return its object (every field)."""
    body.setdefault("type", "tweets")
    answer = api.post(jobs_url(emulator), json=body, params=_all_fields())
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()["data"]
    return job


def cancel(api: requests.Session, emulator: Emulator, job_id: str) -> dict[str, Any]:
    """Cancel a job (byte-path flow: the gcs flow has no cancel) and return its object."""
    answer = api.delete(jobs_url(emulator, job_id))
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()["data"]
    return job


def upload(emulator: Emulator, job: dict[str, Any], data: Any, **headers: str) -> requests.Response:
    """Plain upload, as the official quick start does it (with the bearer token in the
    byte-path flow); the answer is checked against the schema."""
    sent = {**transfer_headers(emulator), **headers}
    return validating_session(emulator, None).put(job["upload_url"], data=data, headers=sent)


def download(emulator: Emulator, job: dict[str, Any], **headers: str) -> requests.Response:
    """Download the results (with the bearer token in the byte-path flow)."""
    sent = {**transfer_headers(emulator, None), **headers}
    return validating_session(emulator, None).get(job["download_url"], headers=sent)


def wait_status(
    api: requests.Session, emulator: Emulator, job_id: str, wanted: str, timeout: float = 20.0
) -> dict[str, Any]:
    """Poll (fast: the emulator runs on loopback) until the job has status ``wanted``."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = api.get(jobs_url(emulator, job_id)).json()["data"]
        if job["status"] == wanted:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stuck in {job['status']}"
        time.sleep(0.02)


def _all_fields() -> dict[str, str]:
    return {
        "compliance_job.fields": "id,type,name,status,resumable,created_at,upload_url,"
        "upload_expires_at,download_url,download_expires_at"
    }
