"""Small helpers for driving the emulator with plain requests."""

from __future__ import annotations

import time
from typing import Any

import requests

from compliance_frames.emulator import Emulator

TEXT = {"Content-Type": "text/plain"}


def jobs_url(emulator: Emulator, job_id: str | None = None) -> str:
    """The jobs endpoint, or one job's."""
    url = emulator.base_url + "/2/compliance/jobs"
    return url if job_id is None else f"{url}/{job_id}"


def create(api: requests.Session, emulator: Emulator, **body: Any) -> dict[str, Any]:
    """Create a job (type tweets unless given) and return its object."""
    body.setdefault("type", "tweets")
    answer = api.post(jobs_url(emulator), json=body)
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()["data"]
    return job


def upload(job: dict[str, Any], data: bytes) -> requests.Response:
    """Plain upload, as the official quick start does it."""
    return requests.put(job["upload_url"], data=data, headers=TEXT)


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
