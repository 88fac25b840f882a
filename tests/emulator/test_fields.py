"""``compliance_job.fields`` on every answer that carries a job.

Byte-path flow: without the parameter only the fields the 2.168 schema requires (and
``error`` once failed); with it, the required fields plus those asked for. gcs flow
(2.159): every field, with or without the parameter, which is only validated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from compliance_frames.emulator import Emulator
from tests.emulator.helpers import create, jobs_url, transfer_headers, upload, wait_status

REQUIRED = {
    "id",
    "type",
    "status",
    "created_at",
    "upload_url",
    "upload_expires_at",
    "download_url",
    "download_expires_at",
}
FIELDS = "compliance_job.fields"

Operation = Callable[[requests.Session, Emulator, dict[str, str]], dict[str, Any]]


def via_create(api: requests.Session, emulator: Emulator, params: dict[str, str]) -> Any:
    answer = api.post(jobs_url(emulator), json={"type": "users", "name": "n"}, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def via_get(api: requests.Session, emulator: Emulator, params: dict[str, str]) -> Any:
    job = create(api, emulator, type="users", name="n")
    return api.get(jobs_url(emulator, job["id"]), params=params).json()["data"]


def via_list(api: requests.Session, emulator: Emulator, params: dict[str, str]) -> Any:
    create(api, emulator, type="users", name="n")
    return api.get(jobs_url(emulator), params={"type": "users", **params}).json()["data"][0]


def via_cancel(api: requests.Session, emulator: Emulator, params: dict[str, str]) -> Any:
    job = create(api, emulator, type="users", name="n")
    return api.delete(jobs_url(emulator, job["id"]), params=params).json()["data"]


JOB_OPERATIONS: dict[str, Operation] = {"create": via_create, "get": via_get, "list": via_list}
"""The operations that answer a job in both flows."""
OPERATIONS: dict[str, Operation] = {**JOB_OPERATIONS, "cancel": via_cancel}
"""Byte-path flow: cancel answers a job too."""


@pytest.mark.parametrize("operation", JOB_OPERATIONS)
def test_answers_without_the_parameter(
    api: requests.Session, emulator: Emulator, flow: str, operation: str
) -> None:
    job = JOB_OPERATIONS[operation](api, emulator, {})
    if flow == "bytepath":
        assert set(job) == REQUIRED
    else:
        assert set(job) == REQUIRED | {"name", "resumable"}


@pytest.mark.flow("bytepath")
def test_the_cancel_answer_without_the_parameter(api: requests.Session, emulator: Emulator) -> None:
    assert set(via_cancel(api, emulator, {})) == REQUIRED | {"error"}


@pytest.mark.flow("bytepath")  # the gcs flow filters nothing: see below
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    ("asked", "optional"),
    [("name", {"name"}), ("resumable,id", {"resumable"}), ("id,status", set())],
)
def test_answers_with_the_parameter(
    api: requests.Session, emulator: Emulator, operation: str, asked: str, optional: set[str]
) -> None:
    job = OPERATIONS[operation](api, emulator, {FIELDS: asked})
    failed = {"error"} if operation == "cancel" else set()
    assert set(job) == REQUIRED | optional | failed


@pytest.mark.flow("gcs")
@pytest.mark.parametrize("operation", JOB_OPERATIONS)
@pytest.mark.parametrize("asked", ["name", "resumable,id", "id,status"])
def test_gcs_answers_carry_every_field_whatever_is_asked(
    api: requests.Session, emulator: Emulator, operation: str, asked: str
) -> None:
    job = JOB_OPERATIONS[operation](api, emulator, {FIELDS: asked})
    assert set(job) == REQUIRED | {"name", "resumable"}


@pytest.mark.flow("bytepath")
def test_the_upload_answer_follows_the_parameter(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator, name="n")
    plain = upload(emulator, job, b"1\n").json()["data"]
    assert set(plain) == REQUIRED
    other = create(api, emulator, type="users", name="m")
    url = other["upload_url"] + "&compliance_job.fields=name"
    named = requests.put(url, data=b"1\n", headers=transfer_headers(emulator)).json()["data"]
    assert named["name"] == "m"


def test_failed_jobs_always_carry_their_error(api: requests.Session, emulator: Emulator) -> None:
    emulator.fail_next_job("bad file")
    job = create(api, emulator)
    upload(emulator, job, b"1\n")
    wait_status(api, emulator, job["id"], "failed")
    answer = api.get(jobs_url(emulator, job["id"]), params={FIELDS: "id"}).json()["data"]
    assert answer["error"] == "bad file"


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE", "PUT"])
def test_unknown_field_names_are_400(
    api: requests.Session, emulator: Emulator, flow: str, method: str
) -> None:
    job = create(api, emulator)
    params = {FIELDS: "id,colour"}
    if method == "POST":
        answer = api.post(jobs_url(emulator), json={"type": "users"}, params=params)
    elif method == "PUT" and flow == "bytepath":
        url = job["upload_url"] + "&compliance_job.fields=id,colour"
        answer = requests.put(url, data=b"1\n", headers=transfer_headers(emulator))
    elif flow == "gcs" and method in ("PUT", "DELETE"):  # uploads are the storage host's; no cancel
        answer = api.request(method, jobs_url(emulator, job["id"]), params=params)
        assert answer.status_code == 405
        return
    else:
        answer = api.request(method, jobs_url(emulator, job["id"]), params=params)
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["parameters"] == {FIELDS: ["colour"]}
    assert emulator.job(job["id"])["status"] == "created"
