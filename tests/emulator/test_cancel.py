"""``DELETE /2/compliance/jobs/{id}`` (byte-path flow): an unfinished job becomes failed,
its type is free. The gcs flow has no cancel (test_api.py proves the 405)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from compliance_frames.emulator import Emulator, ManualClock
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import (
    cancel,
    create,
    download,
    jobs_url,
    upload,
    validating_session,
    wait_status,
)

pytestmark = pytest.mark.flow("bytepath")

CANCELLED = "Cancelled by the client."


def test_cancel_a_created_job(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator, name="to-cancel")
    answer = api.delete(jobs_url(emulator, job["id"]))
    assert answer.status_code == 200
    cancelled = answer.json()["data"]
    assert (cancelled["id"], cancelled["status"], cancelled["error"]) == (
        job["id"],
        "failed",
        CANCELLED,
    )
    fetched = api.get(jobs_url(emulator, job["id"])).json()["data"]
    assert (fetched["status"], fetched["error"]) == ("failed", CANCELLED)
    listed = api.get(jobs_url(emulator), params={"type": "tweets", "status": "failed"}).json()
    assert [j["id"] for j in listed["data"]] == [job["id"]]
    assert create(api, emulator)["status"] == "created"  # the type is free


def test_cancel_an_in_progress_job_ignores_its_processing(
    api: requests.Session, emulator: Emulator
) -> None:
    emulator.stall_next_job()
    job = create(api, emulator)
    assert upload(emulator, job, b"1\n2\n").status_code == 200
    wait_status(api, emulator, job["id"], "in_progress")
    emulator.wait_processed(job["id"])
    assert cancel(api, emulator, job["id"])["status"] == "failed"
    emulator.release_job(job["id"])  # processing is over: the job stays cancelled
    fetched = api.get(jobs_url(emulator, job["id"])).json()["data"]
    assert (fetched["status"], fetched["error"]) == ("failed", CANCELLED)
    assert download(emulator, job).status_code == 409
    assert create(api, emulator)["status"] == "created"


def test_cancel_before_processing_ends(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, processing_seconds=3600)
    api = validating_session(emulator)
    job = create(api, emulator)
    upload(emulator, job, b"1\n")
    emulator.wait_processed(job["id"])
    cancel(api, emulator, job["id"])
    clock.advance(3600)
    assert emulator.job(job["id"])["status"] == "failed"
    assert emulator.job(job["id"])["error"] == CANCELLED


@pytest.mark.parametrize("state", ["complete", "failed", "expired", "cancelled"])
def test_cancel_of_a_finished_job_is_409(make_emulator: EmulatorFactory, state: str) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, upload_window=60)
    api = validating_session(emulator)
    if state == "failed":
        emulator.fail_next_job("bad file")
    job = create(api, emulator)
    if state in ("complete", "failed"):
        upload(emulator, job, b"1\n")
        emulator.wait_processed(job["id"])
    elif state == "expired":
        clock.advance(60)
    else:
        cancel(api, emulator, job["id"])
    answer = api.delete(jobs_url(emulator, job["id"]))
    assert answer.status_code == 409
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == "https://api.twitter.com/2/problems/conflict"
    status = "failed" if state == "cancelled" else state
    assert f"has already finished (status {status})" in body["detail"]
    assert emulator.job(job["id"])["status"] == status


def test_cancel_of_an_unknown_job_answers_as_get_does(
    api: requests.Session, emulator: Emulator
) -> None:
    deleted = api.delete(jobs_url(emulator, "1446017776678801409"))
    got = api.get(jobs_url(emulator, "1446017776678801409"))
    assert deleted.status_code == got.status_code == 200
    assert deleted.json() == got.json()
    assert deleted.json()["errors"][0]["type"].endswith("/resource-not-found")


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("abc", {}, "id"),
        ("1", {"force": "1"}, "force"),
        ("1", {"compliance_job.fields": "x"}, "compliance_job.fields"),
    ],
)
def test_cancel_validates_its_request(
    api: requests.Session, emulator: Emulator, path: str, params: dict[str, str], parameter: str
) -> None:
    answer = api.delete(jobs_url(emulator, path), params=params)
    assert answer.status_code == 400
    assert any(parameter in e["parameters"] for e in answer.json()["errors"])


@pytest.mark.parametrize("token", [None, "wrong", "user"])
def test_cancel_needs_the_app_token(emulator: Emulator, token: str | None) -> None:
    job = create(validating_session(emulator), emulator)
    session = validating_session(emulator, emulator.user_token if token == "user" else token)
    answer = session.delete(jobs_url(emulator, job["id"]))
    assert answer.status_code == (403 if token == "user" else 401)
    assert emulator.job(job["id"])["status"] == "created"


def test_cancel_has_its_own_rate_window(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(rate_limit=1)
    api = validating_session(emulator)
    first: dict[str, Any] = create(api, emulator, type="users")
    answers = [api.delete(jobs_url(emulator, first["id"])) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert answers[0].headers["x-rate-limit-remaining"] == "0"
    assert api.get(jobs_url(emulator, first["id"])).status_code == 200  # get's own window
