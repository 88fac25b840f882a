"""The API host: create, list, get and cancel, their validation rules and their answers."""

from __future__ import annotations

import pytest
import requests

from compliance_frames.emulator import Emulator, ManualClock
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import (
    cancel,
    create,
    jobs_url,
    upload,
    validating_session,
    wait_status,
)
from tests.openapi import assert_valid, schema_for

TWITTER_EPOCH_MS = 1288834974657


def test_create_answers_200_with_a_new_job(
    api: requests.Session, emulator: Emulator, flow: str
) -> None:
    answer = api.post(
        jobs_url(emulator),
        json={"type": "tweets", "name": "my-job"},
        params={"compliance_job.fields": "name,resumable"},
    )
    assert answer.status_code == 200
    job = answer.json()["data"]
    assert job["status"] == "created"
    assert job["type"] == "tweets"
    assert job["name"] == "my-job"
    assert job["resumable"] is False
    assert "error" not in job
    if flow == "gcs":
        assert emulator.storage_url is not None
        assert emulator.state.signer is not None
        assert emulator.state.signer.origin == emulator.storage_url
        assert job["upload_url"].startswith(emulator.storage_url + "/twttr-tweet-compliance/")
        assert job["download_url"].startswith(emulator.storage_url + "/twttr-tweet-compliance/")
    else:
        assert emulator.storage_url is None
        assert emulator.state.signer is None  # no storage host, no signed URLs
        assert job["upload_url"].startswith(f"{jobs_url(emulator, job['id'])}/upload?token=")
        assert job["download_url"].startswith(f"{jobs_url(emulator, job['id'])}/download?token=")


def test_job_without_name_has_no_name_field(api: requests.Session, emulator: Emulator) -> None:
    assert "name" not in create(api, emulator, type="users")


def test_job_ids_are_snowflakes_of_the_creation_time(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_633_592_478.0)  # 2021-10-07T07:41:18Z
    emulator = make_emulator(clock=clock)
    api = validating_session(emulator)
    first = create(api, emulator)
    second = create(api, emulator, type="users")
    assert int(second["id"]) > int(first["id"])
    assert ((int(first["id"]) >> 22) + TWITTER_EPOCH_MS) // 1000 == 1_633_592_478
    assert first["created_at"] == "2021-10-07T07:41:18.000Z"
    assert first["upload_expires_at"] == "2021-10-07T07:56:18.000Z"
    assert first["download_expires_at"] == "2021-10-14T07:41:18.000Z"


@pytest.mark.parametrize(
    ("body", "parameter", "message"),
    [
        ({"type": "videos"}, "type", "is not one of [tweets,users]"),
        ({}, "type", "is required"),
        ({"type": "tweets", "name": "x" * 65}, "name", "at most 64 characters"),
        ({"type": "tweets", "name": 7}, "name", "at most 64 characters"),
        ({"type": "tweets", "resumable": "yes"}, "resumable", "is not a boolean"),
        ({"type": "tweets", "colour": "red"}, "colour", "is not one of [type,name,resumable]"),
    ],
)
def test_create_rejects_invalid_bodies(
    api: requests.Session, emulator: Emulator, body: dict[str, object], parameter: str, message: str
) -> None:
    answer = api.post(jobs_url(emulator), json=body)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert problem["title"] == "Invalid Request"
    [error] = problem["errors"]
    assert parameter in error["parameters"]
    assert message in error["message"]
    assert emulator.jobs == []


def test_name_of_exactly_64_characters_is_accepted(
    api: requests.Session, emulator: Emulator
) -> None:
    assert create(api, emulator, name="n" * 64)["name"] == "n" * 64


def test_create_rejects_a_body_that_is_not_json(api: requests.Session, emulator: Emulator) -> None:
    answer = api.post(
        jobs_url(emulator), data=b"type=tweets", headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["errors"][0]["message"]


def test_one_job_in_progress_per_type(api: requests.Session, emulator: Emulator) -> None:
    emulator.stall_next_job(type="tweets")
    busy = create(api, emulator, name="busy")
    assert upload(emulator, busy, b"1\n").status_code == 200
    wait_status(api, emulator, busy["id"], "in_progress")
    answer = api.post(jobs_url(emulator), json={"type": "tweets"})
    assert answer.status_code == 409
    assert answer.json() == {
        "title": "Conflict",
        "detail": "You cannot create a new job if one is already in progress.",
        "type": "https://api.twitter.com/2/problems/conflict",
        "status": 409,
    }
    # the other type is free, and so is this one once the job is done
    assert create(api, emulator, type="users")["status"] == "created"
    emulator.release_job(busy["id"])
    wait_status(api, emulator, busy["id"], "complete")
    assert create(api, emulator)["status"] == "created"


@pytest.mark.flow("gcs")
def test_created_jobs_do_not_block_new_ones(api: requests.Session, emulator: Emulator) -> None:
    create(api, emulator)
    assert create(api, emulator)["status"] == "created"


def test_list_is_newest_first_with_result_count(
    api: requests.Session, emulator: Emulator, flow: str
) -> None:
    ids = []
    for i in range(3):
        ids.append(create(api, emulator, name=f"job-{i}")["id"])
        if flow == "bytepath":  # a created job is active: free the type
            cancel(api, emulator, ids[-1])
    create(api, emulator, type="users")
    body = api.get(jobs_url(emulator), params={"type": "tweets"}).json()
    assert [job["id"] for job in body["data"]] == ids[::-1]
    assert body["meta"] == {"result_count": 3}


def test_list_without_jobs_has_only_meta(api: requests.Session, emulator: Emulator) -> None:
    assert api.get(jobs_url(emulator), params={"type": "users"}).json() == {
        "meta": {"result_count": 0}
    }


def test_list_filters_by_status(api: requests.Session, emulator: Emulator) -> None:
    done = create(api, emulator)
    upload(emulator, done, b"1\n2\n")
    wait_status(api, emulator, done["id"], "complete")
    waiting = create(api, emulator)

    def ids(status: str) -> list[str]:
        body = api.get(jobs_url(emulator), params={"type": "tweets", "status": status}).json()
        return [job["id"] for job in body.get("data", [])]

    assert ids("complete") == [done["id"]]
    assert ids("created") == [waiting["id"]]
    assert ids("failed") == []


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({}, "type", "can not be empty"),
        ({"type": "videos"}, "type", "is not one of [tweets,users]"),
        (
            {"type": "tweets", "status": "expired"},
            "status",
            "is not one of [created,in_progress,failed,complete]",
        ),
        ({"type": "tweets", "status": "done"}, "status", "is not one of"),
        (
            {"type": "tweets", "limit": "5"},
            "limit",
            "is not one of [type,status,compliance_job.fields]",
        ),
        (
            {"type": "tweets", "compliance_job.fields": "id,colour"},
            "compliance_job.fields",
            "colour",
        ),
    ],
)
def test_list_rejects_invalid_queries(
    api: requests.Session, emulator: Emulator, params: dict[str, str], parameter: str, message: str
) -> None:
    answer = api.get(jobs_url(emulator), params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    [error] = [e for e in body["errors"] if parameter in e["parameters"]]
    assert message in error["message"]


def test_list_accepts_the_fields_parameter(api: requests.Session, emulator: Emulator) -> None:
    create(api, emulator)
    answer = api.get(
        jobs_url(emulator), params={"type": "tweets", "compliance_job.fields": "id,status"}
    )
    assert answer.status_code == 200


def test_get_returns_the_job(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator, name="x")
    fields = {"compliance_job.fields": "name,resumable"}
    fetched = api.get(jobs_url(emulator, job["id"]), params=fields).json()["data"]
    assert fetched == job  # same content; URLs minted once and returned unchanged


def test_get_unknown_id_answers_200_with_not_found_error(
    api: requests.Session, emulator: Emulator
) -> None:
    answer = api.get(jobs_url(emulator, "1446017776678801409"))
    assert answer.status_code == 200
    assert answer.json() == {
        "errors": [
            {
                "value": "1446017776678801409",
                "detail": "Could not find compliance job with id: [1446017776678801409].",
                "title": "Not Found Error",
                "resource_type": "compliance_job",
                "parameter": "id",
                "resource_id": "1446017776678801409",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }


@pytest.mark.parametrize("bad_id", ["abc", "12345678901234567890", "-5", "1.5"])
def test_get_malformed_id_is_an_invalid_request(
    api: requests.Session, emulator: Emulator, bad_id: str
) -> None:
    answer = api.get(jobs_url(emulator, bad_id))
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["parameters"] == {"id": [bad_id]}
    assert "^[0-9]{1,19}$" in error["message"]


def test_key_order_varies_between_answers(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    orders = {tuple(api.get(jobs_url(emulator, job["id"])).json()["data"]) for _ in range(8)}
    assert len(orders) > 1


def test_unknown_path_and_wrong_method(
    api: requests.Session, emulator: Emulator, flow: str
) -> None:
    assert api.get(emulator.base_url + "/2/tweets").status_code == 404
    assert api.delete(jobs_url(emulator)).status_code == 405
    assert api.put(jobs_url(emulator, "1")).status_code == 405
    transfer = api.put(jobs_url(emulator, "1") + "/upload", data=b"1\n")
    assert transfer.status_code == 404
    if flow == "gcs":  # no such path before 2026
        assert transfer.json()["errors"][0]["message"] == "Sorry, that page does not exist"
    else:  # the path exists, the job does not
        assert transfer.json()["detail"] == "There is no compliance job with id 1."


@pytest.mark.flow("bytepath")
def test_resumable_jobs_are_refused_in_the_byte_path_flow(
    api: requests.Session, emulator: Emulator
) -> None:
    answer = api.post(jobs_url(emulator), json={"type": "tweets", "resumable": True})
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == "https://api.twitter.com/2/problems/invalid-request"
    [error] = problem["errors"]
    assert error == {
        "parameters": {"resumable": ["true"]},
        "message": "resumable uploads are not supported; create the job without it",
    }
    assert emulator.jobs == []
    assert create(api, emulator, resumable=False)["resumable"] is False


@pytest.mark.flow("bytepath")
def test_a_created_job_is_active_until_cancelled_or_expired(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, upload_window=60)
    api = validating_session(emulator)
    first = create(api, emulator)
    refused = api.post(jobs_url(emulator), json={"type": "tweets"})
    assert refused.status_code == 409
    assert refused.json()["type"] == "https://api.twitter.com/2/problems/conflict"
    assert create(api, emulator, type="users")["status"] == "created"  # the other type is free
    cancel(api, emulator, first["id"])
    second = create(api, emulator)  # freed by the cancel
    clock.advance(60)  # its upload window closes unused: expired, the type is free again
    assert emulator.job(second["id"])["status"] == "expired"
    assert create(api, emulator)["status"] == "created"


@pytest.mark.flow("bytepath")
def test_an_in_progress_job_blocks_until_cancelled(
    api: requests.Session, emulator: Emulator
) -> None:
    emulator.stall_next_job()
    busy = create(api, emulator)
    assert upload(emulator, busy, b"1\n").status_code == 200
    wait_status(api, emulator, busy["id"], "in_progress")
    assert api.post(jobs_url(emulator), json={"type": "tweets"}).status_code == 409
    cancel(api, emulator, busy["id"])
    assert create(api, emulator)["status"] == "created"


def test_api_version_header_follows_the_flow(
    api: requests.Session, emulator: Emulator, flow: str
) -> None:
    answer = api.get(jobs_url(emulator), params={"type": "tweets"})
    assert answer.headers["api-version"] == ("2.168" if flow == "bytepath" else "2.159")


@pytest.mark.flow("gcs")
def test_the_gcs_flow_has_no_cancel_and_filters_no_fields(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator, name="kept")
    path = jobs_url(emulator, job["id"]).split(emulator.base_url, 1)[1]
    for session in (api, requests.Session()):  # with the token or without: the verb is wrong
        answer = session.delete(jobs_url(emulator, job["id"]))
        assert answer.status_code == 405
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["api-version"] == "2.159"
        assert "x-rate-limit-limit" not in answer.headers  # no endpoint, no window
        assert answer.json() == {
            "title": "Method Not Allowed",
            "type": "about:blank",
            "status": 405,
            "detail": f"DELETE is not supported on {path}",
        }
    # the same answer as any other wrong verb on a job
    put = api.put(jobs_url(emulator, job["id"])).json()
    assert put == {**answer.json(), "detail": f"PUT is not supported on {path}"}
    assert emulator.job(job["id"])["status"] == "created"
    assert [e.status for e in emulator.request_log("api") if e.method == "DELETE"] == [405, 405]
    # compliance_job.fields is validated, but every answer carries every field
    for params in ({"compliance_job.fields": "id"}, {"compliance_job.fields": "status,name"}):
        fetched = api.get(jobs_url(emulator, job["id"]), params=params).json()["data"]
        assert (fetched["name"], fetched["resumable"]) == ("kept", False)
        listed = api.get(jobs_url(emulator), params={"type": "tweets", **params}).json()
        assert {"name", "resumable"} <= set(listed["data"][0])
    refused = api.get(jobs_url(emulator, job["id"]), params={"compliance_job.fields": "colour"})
    assert refused.status_code == 400


def test_a_successful_answer_to_an_operation_the_version_lacks_is_never_valid() -> None:
    job = {"id": "1", "type": "tweets", "status": "failed"}
    with pytest.raises(AssertionError, match=r"OpenAPI 2\.159 has no such operation"):
        assert_valid("DELETE", "/2/compliance/jobs/1", 200, {"data": job}, version="2.159")
    with pytest.raises(AssertionError, match=r"OpenAPI 2\.159 has no such operation"):
        assert_valid("PUT", "/2/compliance/jobs/1/upload", 200, {"data": job}, version="2.159")
    assert schema_for("DELETE", "/2/compliance/jobs/1", 200, {}, version="2.168") == (
        "DeleteComplianceJobsByIdResponse"
    )
    problem = {"title": "Method Not Allowed", "type": "about:blank", "status": 405, "detail": "x"}
    assert_valid("DELETE", "/2/compliance/jobs/1", 405, problem, version="2.159")
