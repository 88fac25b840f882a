"""``check()`` against a whole stand-in of X's service that misbehaves in one way each:
exact flags or a ComplianceError, in bounded time, and nothing written outside the cache."""

from __future__ import annotations

import hashlib
import json
import time
from base64 import b64encode
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

import compliance_frames
from compliance_frames import (
    Client,
    ComplianceError,
    DownloadError,
    ServerError,
    UploadError,
)
from tests.standins import standin

TOKEN = "AAAAAAAAAAAAAAAAAAAAA-hostile-check-token-0123456789"
JOB_ID = "1446017776678801409"
DELETED, KEPT = "1265324480517361664", "20"
RESULTS = (
    b'{"id":"%s","action":"delete","created_at":"2020-05-26T16:50:39.404Z",'
    b'"redacted_at":"2021-01-01T00:00:00.000Z","reason":"deleted"}\n' % DELETED.encode()
)
BOUND = 15.0

pytestmark = pytest.mark.flow("bytepath")  # stand-ins of their own: one run each


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Service:
    """The byte-path service for one tweets job, with one misbehaviour (``twist``)."""

    def __init__(self, twist: str) -> None:
        self.twist = twist
        self.uploaded = False
        self.created = 0
        self.base = ""

    def job(self, status: str) -> dict[str, Any]:
        now = datetime.now(timezone.utc)
        job = {
            "id": "../../escaped" if self.twist == "hostile id" else JOB_ID,
            "type": "tweets",
            "status": status,
            "created_at": stamp(now),
            "upload_url": f"{self.base}/2/compliance/jobs/{JOB_ID}/upload?token=t",
            "upload_expires_at": stamp(now + timedelta(minutes=15)),
            "download_url": f"{self.base}/2/compliance/jobs/{JOB_ID}/download?token=t",
            "download_expires_at": stamp(now + timedelta(days=7)),
        }
        if self.twist == "odd job json" and status == "complete":
            del job["download_url"]
        return job

    def __call__(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/2/compliance/jobs" and method == "GET":
            return self.answer({"meta": {"result_count": 0}})
        if path == "/2/compliance/jobs" and method == "POST":
            self.created += 1
            return self.answer({"data": self.job("created")})
        if path.endswith("/upload"):
            if self.twist == "redirected upload":
                return Response(status=307, headers={"Location": "http://elsewhere.example/u"})
            request.get_data()
            self.uploaded = True
            return self.answer({"data": self.job("in_progress")})
        if path.endswith("/download"):
            return self.download()
        status = "complete" if self.uploaded else "created"
        return self.answer({"data": self.job(status)})

    def download(self) -> Response:
        headers = {"Content-Type": "application/octet-stream"}
        if self.twist == "truncated results":  # declares more than it sends, then stops
            headers["Content-Length"] = str(len(RESULTS) + 100)
            return Response(iter([RESULTS]), headers=headers, direct_passthrough=True)
        if self.twist == "hash mismatch":
            wrong = b64encode(hashlib.sha256(b"other bytes").digest()).decode()
            headers["Repr-Digest"] = f"sha-256=:{wrong}:"
        if self.twist == "stalled download":

            def drip() -> Any:
                for byte in RESULTS:
                    time.sleep(0.3)
                    yield bytes([byte])

            return Response(drip(), headers=headers, direct_passthrough=True)
        return Response(RESULTS, headers=headers)

    @staticmethod
    def answer(body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), content_type="application/json")


FAILS = {
    "hostile id": ServerError,
    "odd job json": ServerError,
    "redirected upload": UploadError,
    "truncated results": DownloadError,
    "hash mismatch": DownloadError,
    "stalled download": DownloadError,
}


@pytest.mark.parametrize("twist", ["none", "server clock behind", *FAILS])
def test_check_ends_with_exact_flags_or_a_compliance_error(
    twist: str, tmp_path: Path, mocker: Any
) -> None:
    if twist == "server clock behind":  # twenty minutes behind: windows on its clock
        behind = formatdate(time.time() - 1200, usegmt=True)
        mocker.patch.object(WSGIRequestHandler, "date_time_string", return_value=behind)
    mocker.patch("compliance_frames.client.clock.sleep")  # retries and polls at once
    service = Service(twist)
    frame = pl.DataFrame({"tweet_id": [DELETED, KEPT, DELETED]})
    started = time.monotonic()
    with standin(service) as server:
        service.base = server.url
        client = Client(
            TOKEN, server.url, results_dir=tmp_path / "cache", max_retries=1, backoff=0.01,
            stall_timeout=0.5, stall_bytes=64, poll_interval=0.01, max_poll_interval=0.01,
        )  # fmt: skip
        try:
            flagged = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
        except ComplianceError as exc:
            error: ComplianceError | None = exc
        else:
            error = None
    assert time.monotonic() - started < BOUND
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and "cache" not in p.parts]
    assert outside == []
    assert not list(tmp_path.parent.glob("escaped*"))
    if twist in FAILS:
        assert isinstance(error, FAILS[twist]), f"{twist}: {error!r}"
        assert TOKEN not in str(error)
        assert TOKEN not in repr(vars(error))
    else:
        assert error is None, str(error)
        assert flagged["compliance_deleted"].to_list() == [True, False, True]
        assert service.created == 1  # one job, whatever the server's clock
