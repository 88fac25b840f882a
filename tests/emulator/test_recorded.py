"""The emulator's answers have the same fields and formats as recorded real answers
(recorded in 2021-2022: the gcs flow; the byte-path flow keeps everything but the URLs
and the optional fields)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from compliance_frames.emulator import Emulator
from tests.emulator.helpers import jobs_url
from tests.openapi import assert_valid

RECORDED = Path(__file__).parents[1] / "fixtures" / "recorded"
EXCHANGES = sorted(RECORDED.glob("api-*_create_get_list.json"))
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")


def shape(url: str) -> dict[str, Any]:
    """The format of a signed URL: parameter names in order, and the fixed values."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    return {
        "path": re.sub(r"\d+", "N", parts.path),
        "params": list(query),
        "algorithm": query["X-Goog-Algorithm"],
        "expires": query["X-Goog-Expires"],
        "signed_headers": query["X-Goog-SignedHeaders"],
        "signature": (
            len(query["X-Goog-Signature"]),
            bool(re.fullmatch("[0-9a-f]+", query["X-Goog-Signature"])),
        ),
        "credential": re.sub(r"^[^/]+/\d{8}/", "ACCOUNT/YYYYMMDD/", query["X-Goog-Credential"]),
        "date_is_created_at": query["X-Goog-Date"],
    }


def job_format(job: dict[str, Any]) -> dict[str, Any]:
    """Everything about a job object except the values that differ between jobs."""
    created = datetime.strptime(job["created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
    upload_shape, download_shape = shape(job["upload_url"]), shape(job["download_url"])
    for url_shape in (upload_shape, download_shape):
        assert url_shape.pop("date_is_created_at") == created.strftime("%Y%m%dT%H%M%SZ")
    return {
        "keys": sorted(job),
        "timestamps": all(TIMESTAMP.match(job[k]) for k in job if k.endswith("_at")),
        "id": bool(re.fullmatch(r"[0-9]{19}", job["id"])),
        "upload_window": (
            datetime.strptime(job["upload_expires_at"], "%Y-%m-%dT%H:%M:%S.000Z") - created
        ).seconds,
        "download_window": (
            datetime.strptime(job["download_expires_at"], "%Y-%m-%dT%H:%M:%S.000Z") - created
        ).days,
        "types": {k: type(v).__name__ for k, v in job.items()},
        "upload_url": upload_shape,
        "download_url": download_shape,
    }


def replay(emulator: Emulator, exchange: dict[str, Any]) -> requests.Response:
    """Send the recorded request to the emulator instead of api.twitter.com."""
    request = exchange["request"]
    url = request["uri"].replace("https://api.twitter.com", emulator.base_url)
    body = request["body"]
    if isinstance(body, str):
        body = json.loads(body)
    return requests.request(
        request["method"],
        url,
        json=body,
        headers={"Authorization": f"Bearer {emulator.bearer_token}"},
    )


@pytest.mark.flow("gcs")
@pytest.mark.parametrize("path", EXCHANGES, ids=lambda p: p.name)
def test_replayed_exchanges_match_the_recording(emulator: Emulator, path: Path) -> None:
    recorded = json.loads(path.read_text())
    created_id = None
    for exchange in recorded:
        if created_id is not None:
            exchange = json.loads(
                json.dumps(exchange).replace(recorded[0]["body"]["data"]["id"], created_id)
            )
        answer = replay(emulator, exchange)
        assert answer.status_code == exchange["status"]["code"]
        assert_valid(
            exchange["request"]["method"],
            urlsplit(answer.url).path,
            answer.status_code,
            answer.json(),
        )
        headers = exchange.get("headers", exchange.get("rate_headers"))
        for name in (
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
            "api-version",
        ):
            assert name in headers
            assert name in answer.headers
        assert answer.headers["x-rate-limit-limit"] == headers["x-rate-limit-limit"][0]
        assert answer.headers["Content-Type"] == headers["content-type"][0]
        real, ours = exchange["body"], answer.json()
        if exchange["request"]["method"] == "POST":
            created_id = ours["data"]["id"]
        real_jobs = real["data"] if isinstance(real["data"], list) else [real["data"]]
        our_jobs = ours["data"] if isinstance(ours["data"], list) else [ours["data"]]
        assert job_format(our_jobs[0]) == job_format(real_jobs[0])
        extra_keys = set(ours) - set(real)
        assert extra_keys <= {"meta"}  # the 2021 list had no meta; later ones do


@pytest.mark.flow("gcs")
def test_named_resumable_jobs_match_the_recording(emulator: Emulator) -> None:
    recorded = json.loads((RECORDED / "list-resumable-named-jobs-2021-10-25.json").read_text())
    real = next(job for job in recorded["data"] if "X-Goog-Signature" in job["upload_url"])
    created = requests.post(
        jobs_url(emulator),
        json={"type": "tweets", "name": "test-202110240626", "resumable": True},
        headers={"Authorization": f"Bearer {emulator.bearer_token}"},
    ).json()["data"]
    real["status"] = created["status"] = "created"
    assert job_format(created) == job_format(real)


def plain_format(job: dict[str, Any]) -> dict[str, Any]:
    """A job's format without its URLs' shape and without the optional fields."""
    created = datetime.strptime(job["created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
    required = {k: v for k, v in job.items() if k not in ("name", "resumable")}
    return {
        "keys": sorted(required),
        "timestamps": all(TIMESTAMP.match(job[k]) for k in job if k.endswith("_at")),
        "id": bool(re.fullmatch(r"[0-9]{19}", job["id"])),
        "upload_window": (
            datetime.strptime(job["upload_expires_at"], "%Y-%m-%dT%H:%M:%S.000Z") - created
        ).seconds,
        "download_window": (
            datetime.strptime(job["download_expires_at"], "%Y-%m-%dT%H:%M:%S.000Z") - created
        ).days,
        "types": {k: type(v).__name__ for k, v in required.items()},
    }


@pytest.mark.flow("bytepath")
@pytest.mark.parametrize("path", EXCHANGES, ids=lambda p: p.name)
def test_byte_path_answers_keep_the_recorded_formats(emulator: Emulator, path: Path) -> None:
    recorded = json.loads(path.read_text())
    created_id = None
    for exchange in recorded:
        if created_id is not None:
            exchange = json.loads(
                json.dumps(exchange).replace(recorded[0]["body"]["data"]["id"], created_id)
            )
        answer = replay(emulator, exchange)
        assert answer.status_code == exchange["status"]["code"]
        assert_valid(
            exchange["request"]["method"],
            urlsplit(answer.url).path,
            answer.status_code,
            answer.json(),
            version="2.168",
        )
        assert answer.headers["api-version"] == "2.168"
        real, ours = exchange["body"], answer.json()
        if exchange["request"]["method"] == "POST":
            created_id = ours["data"]["id"]
        real_jobs = real["data"] if isinstance(real["data"], list) else [real["data"]]
        our_jobs = ours["data"] if isinstance(ours["data"], list) else [ours["data"]]
        assert plain_format(our_jobs[0]) == plain_format(real_jobs[0])
        assert our_jobs[0]["upload_url"].startswith(emulator.base_url + "/2/compliance/jobs/")
