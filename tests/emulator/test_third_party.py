"""Clients written for the real API work against the emulator unchanged."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
import tweepy

from compliance_frames.emulator import Emulator
from tests.conftest import EmulatorFactory


def test_tweepy_client(make_emulator: EmulatorFactory, flow: str) -> None:
    emulator: Emulator = make_emulator()
    client = tweepy.Client(bearer_token=emulator.bearer_token)
    emulator.mount(client.session)  # tweepy's host is fixed: route it here
    created = client.create_compliance_job(type="tweets", name="tweepy-job", resumable=False)
    job = created.data
    assert job["status"] == "created"
    if flow == "gcs":
        assert job["name"] == "tweepy-job"
    else:  # tweepy cannot ask for compliance_job.fields: only the required fields come
        assert "name" not in job
        assert emulator.job(job["id"])["name"] == "tweepy-job"
    fetched = client.get_compliance_job(job["id"]).data
    assert fetched["id"] == job["id"]
    listed = client.get_compliance_jobs(type="tweets")
    assert [j["id"] for j in listed.data] == [job["id"]]
    assert listed.meta == {"result_count": 1}
    assert client.get_compliance_jobs(type="users").data is None
    if flow == "gcs":
        assert client.create_compliance_job(type="users", resumable=True).data["resumable"]
    else:
        with pytest.raises(tweepy.BadRequest, match="resumable uploads are not supported"):
            client.create_compliance_job(type="users", resumable=True)
    with pytest.raises(tweepy.BadRequest, match=r"is not one of \[tweets,users\]"):
        client.create_compliance_job(type="videos")
    assert emulator.storage_authorizations() == []


def test_tweepy_sees_401_for_a_wrong_token(make_emulator: EmulatorFactory) -> None:
    emulator: Emulator = make_emulator()
    client = tweepy.Client(bearer_token="wrong")
    emulator.mount(client.session)
    with pytest.raises(tweepy.Unauthorized):
        client.get_compliance_jobs(type="tweets")


def test_official_quick_start_with_plain_requests(
    make_emulator: EmulatorFactory, tmp_path: Path, flow: str
) -> None:
    """The developer documentation's four steps, as its Python sample writes them (the
    2026 guide: the transfers carry the bearer token too)."""
    emulator: Emulator = make_emulator(
        events={"1265324480517361664": "deleted", "906972198136631298": "deleted"}
    )
    bearer_token = emulator.bearer_token
    jobs = emulator.base_url + "/2/compliance/jobs"

    def bearer_oauth(r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {bearer_token}"
        r.headers["User-Agent"] = "v2BatchCompliancePython"
        return r

    # Step 1: create a job
    response = requests.post(jobs, auth=bearer_oauth, json={"type": "tweets"})
    assert response.status_code == 200
    job = response.json()["data"]
    # Step 2: upload the IDs
    ids = tmp_path / "tweet_ids.txt"
    ids.write_text("1265324480517361664\n906972198136631298\n1182427463398813696\n")
    transfer_auth = bearer_oauth if flow == "bytepath" else None
    with open(ids, "rb") as body:
        uploaded = requests.put(
            job["upload_url"], data=body, headers={"Content-Type": "text/plain"}, auth=transfer_auth
        )
    assert uploaded.status_code == 200
    # Step 3: check the job's status until it is complete
    for _ in range(500):
        status = requests.get(f"{jobs}/{job['id']}", auth=bearer_oauth).json()["data"]["status"]
        if status == "complete":
            break
        time.sleep(0.02)
    assert status == "complete"
    # Step 4: download the results
    results = requests.get(job["download_url"], auth=transfer_auth)
    entries = [json.loads(line) for line in results.text.splitlines() if line]
    assert sorted(e["id"] for e in entries) == ["1265324480517361664", "906972198136631298"]
