"""Processing: explicit and derived outcomes, result file format, failures, fates."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pytest

from compliance_frames.emulator import (
    DEFAULT_RATES,
    GCS_RATES,
    Emulator,
    EmulatorConfig,
    ManualClock,
)
from compliance_frames.idlines import format_ids
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import (
    cancel,
    create,
    download,
    upload,
    validating_session,
    wait_status,
)

TWEET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
USER_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
TWITTER_EPOCH_MS = 1288834974657


def run(
    emulator: Emulator, data: bytes, job_type: str = "tweets"
) -> tuple[dict[str, object], bytes]:
    api = validating_session(emulator)
    for active in emulator.jobs:  # byte-path: a created job of the type would block a new one
        unfinished = active["status"] in ("created", "in_progress")
        if emulator.flow == "bytepath" and active["type"] == job_type and unfinished:
            cancel(api, emulator, active["id"])
    job = create(api, emulator, type=job_type)
    assert upload(emulator, job, data).status_code == 200
    emulator.wait_processed(job["id"])
    final = api.get(f"{emulator.base_url}/2/compliance/jobs/{job['id']}").json()["data"]
    if final["status"] != "complete":
        return final, b""
    answer = download(emulator, job)
    assert answer.status_code == 200
    return final, answer.content


def records(content: bytes) -> list[dict[str, str]]:
    return [json.loads(line) for line in content.splitlines() if line.strip()]


@pytest.mark.flow("gcs")
def test_explicit_events(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(
        events={
            "1265324480517361664": ["deleted", "scrub_geo"],
            "906972198136631298": {"reason": "protected", "redacted_at": None},
            "1234567": {"reason": "bounced", "redacted_at": "2020-07-21T23:37:55.607Z"},
        }
    )
    job, content = run(emulator, b"1265324480517361664\n906972198136631298\n1234567\n42\n")
    assert job["status"] == "complete"
    found = records(content)
    assert [(r["id"], r["reason"]) for r in found] == [
        ("1265324480517361664", "deleted"),
        ("1265324480517361664", "scrub_geo"),
        ("906972198136631298", "protected"),
        ("1234567", "bounced"),
    ]
    assert all(r["action"] == "delete" for r in found)
    assert "redacted_at" not in found[2]
    assert found[3]["redacted_at"] == "2020-07-21T23:37:55.607Z"
    # tweets: created_at comes from the snowflake
    ms = (1265324480517361664 >> 22) + TWITTER_EPOCH_MS
    expected = (
        datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        + "Z"
    )
    assert found[0]["created_at"] == expected
    assert list(found[0]) == ["id", "action", "created_at", "redacted_at", "reason"]


def test_explicit_events_per_job_type(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={"tweets": {"5": "deleted"}, "users": {"5": "suspended"}})
    _, tweets = run(emulator, b"5\n", "tweets")
    _, users = run(emulator, b"5\n", "users")
    assert records(tweets)[0]["reason"] == "deleted"
    assert records(users)[0]["reason"] == "suspended"
    assert USER_TIME.match(records(users)[0]["created_at"])


def test_derived_outcomes_follow_the_rates_and_are_deterministic(
    make_emulator: EmulatorFactory, flow: str
) -> None:
    geo = "scrub_geo" if flow == "gcs" else "geo_scrubbed"
    rates = {
        "tweets": {
            "deleted": 0.2,
            "suspended": 0.1,
            "protected": 0.05,
            geo: 0.05,
            "deactivated": 0.1,
        }
    }
    if flow == "bytepath":
        rates["tweets"]["tweet_edited"] = 0.05
    ids = np.arange(10**18, 10**18 + 100_000, dtype=np.uint64)
    data = format_ids(ids)
    first = records(run(make_emulator(rates=rates), data)[1])
    second = records(run(make_emulator(rates=rates), data)[1])
    assert first == second
    shares = {
        reason: sum(r["reason"] == reason for r in first) / ids.size for reason in rates["tweets"]
    }
    for reason, rate in rates["tweets"].items():
        assert shares[reason] == pytest.approx(rate, abs=0.01), reason
    missing = sum(r.get("redacted_at") is None for r in first) / len(first)
    assert missing == pytest.approx(0.1, abs=0.02)
    if flow == "bytepath":  # present, null where unknown
        assert all("redacted_at" in r for r in first)
    assert all(TWEET_TIME.match(r["created_at"]) for r in first)
    other_seed = records(run(make_emulator(rates=rates, seed=1), data)[1])
    assert other_seed != first


def test_users_jobs_have_user_reasons_and_timestamps(emulator: Emulator) -> None:
    data = format_ids(np.arange(1, 20_001, dtype=np.uint64) * np.uint64(7919))
    found = records(run(emulator, data, "users")[1])
    assert {r["reason"] for r in found} == {"deleted", "suspended", "protected", "deactivated"}
    assert all(USER_TIME.match(r["created_at"]) for r in found)
    assert all(USER_TIME.match(r["redacted_at"]) for r in found if r.get("redacted_at"))


def test_default_rates_flag_about_a_tenth(emulator: Emulator, flow: str) -> None:
    data = format_ids(np.arange(10**17, 10**17 + 50_000, dtype=np.uint64))
    job, content = run(emulator, data)
    found = records(content)
    removed = [r for r in found if r["action"] == "delete"]
    assert len(removed) / 50_000 == pytest.approx(0.1 if flow == "gcs" else 0.09, abs=0.01)
    # byte-path: edits (2%) and geo scrubbing (1%) on top
    assert len(found) / 50_000 == pytest.approx(0.1 if flow == "gcs" else 0.12, abs=0.01)
    assert emulator.job(str(job["id"]))["n_events"] == len(found)


@pytest.mark.parametrize(
    ("settings", "separator"),
    [
        ({}, b"\n"),
        ({"crlf": True}, b"\r\n"),
        ({"blank_lines": True}, b"\n\n"),
        ({"crlf": True, "blank_lines": True}, b"\r\n\r\n"),
    ],
)
def test_result_file_line_endings(
    make_emulator: EmulatorFactory, settings: dict[str, bool], separator: bytes
) -> None:
    emulator = make_emulator(events={"1": "deleted", "2": "protected"}, **settings)
    _, content = run(emulator, b"1\n2\n")
    parts = content.split(separator)
    assert len(parts) == 3
    assert parts[-1] == b""
    assert all(json.loads(part) for part in parts[:2])


def test_job_without_events_has_an_empty_file(make_emulator: EmulatorFactory) -> None:
    job, content = run(make_emulator(events={}), b"1\n2\n")
    assert job["status"] == "complete"
    assert content == b""


def test_empty_upload_completes_with_no_results(emulator: Emulator) -> None:
    job, content = run(emulator, b"")
    assert (job["status"], content) == ("complete", b"")


@pytest.mark.flow("gcs")
@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"1\n2\nabc\n", "line 3 ('abc')"),
        (b"1\n\n2\n", "line 2 is empty"),
        (b"12345678901234567890\n", "line 1 ('12345678901234567890')"),
        (b"1\n-2\n", "line 2 ('-2')"),
        (b"1\n2.0\n", "line 2 ('2.0')"),
    ],
)
def test_a_line_that_is_not_an_id_fails_the_job(
    emulator: Emulator, data: bytes, fragment: str
) -> None:
    job, _ = run(emulator, data)
    assert job["status"] == "failed"
    assert fragment in str(job["error"])
    assert download(emulator, job).status_code == 404


def test_crlf_uploads_and_a_missing_final_newline_are_fine(emulator: Emulator) -> None:
    job, _ = run(emulator, b"1\r\n2\r\n3")
    assert job["status"] == "complete"
    assert emulator.job(str(job["id"]))["n_ids"] == 3


def test_fail_next_job_and_fail_job(emulator: Emulator) -> None:
    emulator.fail_next_job("Upload could not be processed.", type="users")
    tweets, _ = run(emulator, b"1\n", "tweets")
    users, _ = run(emulator, b"1\n", "users")
    assert tweets["status"] == "complete"
    assert (users["status"], users["error"]) == ("failed", "Upload could not be processed.")
    emulator.fail_job(str(tweets["id"]), "late failure")
    assert emulator.job(str(tweets["id"]))["error"] == "late failure"


def test_stall_keeps_a_job_in_progress_until_released(emulator: Emulator) -> None:
    emulator.stall_next_job()
    api = validating_session(emulator)
    job = create(api, emulator)
    upload(emulator, job, b"1\n")
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["status"] == "in_progress"
    emulator.release_job(job["id"])
    wait_status(api, emulator, job["id"], "complete")


def test_processing_time_is_a_floor_plus_a_rate(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, processing_seconds=3600, seconds_per_id=0.5)
    api = validating_session(emulator)
    job = create(api, emulator)
    upload(emulator, job, format_ids(np.arange(1, 1001, dtype=np.uint64)))
    emulator.wait_processed(job["id"])
    clock.advance(3600 + 500 - 1)
    assert emulator.job(job["id"])["status"] == "in_progress"
    clock.advance(1)
    assert emulator.job(job["id"])["status"] == "complete"


def test_a_million_ids_are_processed(emulator: Emulator, flow: str) -> None:
    ids = np.arange(10**18, 10**18 + 1_000_000, dtype=np.uint64)
    job, content = run(emulator, format_ids(ids))
    assert emulator.job(str(job["id"]))["n_ids"] == 1_000_000
    found = records(content)
    assert len({r["id"] for r in found}) == len(found)
    share = 0.10 if flow == "gcs" else 0.12
    assert share - 0.01 < len(found) / 1_000_000 < share + 0.01


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown reason"):
        Emulator(rates={"users": {"scrub_geo": 0.1}})
    with pytest.raises(ValueError, match="in the bytepath flow"):
        Emulator(rates={"tweets": {"scrub_geo": 0.1}})  # byte-path spells it geo_scrubbed
    with pytest.raises(ValueError, match="in the gcs flow"):
        Emulator(flow="gcs", rates={"tweets": {"tweet_edited": 0.1}})
    with pytest.raises(ValueError, match="flow must be 'bytepath'"):
        Emulator(flow="s3")
    with pytest.raises(ValueError, match="max_upload_bytes must be >= 1"):
        Emulator(max_upload_bytes=0)
    with pytest.raises(ValueError, match="byte-path flow only"):
        Emulator(flow="gcs", events={"1": "invalid_id"})
    with pytest.raises(ValueError, match="storage_port is for flow='gcs'"):
        Emulator(storage_port=9)
    with pytest.raises(ValueError, match="sum to at most 1"):
        Emulator(rates={"tweets": {"deleted": 0.8, "suspended": 0.5}})
    with pytest.raises(ValueError, match="not a 1-19 digit ID"):
        Emulator(events={"abc": "deleted"})
    with pytest.raises(ValueError, match="processing_seconds"):
        Emulator(processing_seconds=-1)
    for bad in ((), "text/plain", ["text/plain", 7], ("text",), ("text/plain; charset=utf-8",)):
        with pytest.raises(ValueError, match="upload_types"):
            Emulator(upload_types=bad)


def test_rates_none_means_the_flows_defaults() -> None:
    bytepath, gcs = EmulatorConfig(), EmulatorConfig(flow="gcs")
    assert bytepath.rates is None
    assert gcs.rates is None
    assert bytepath.rates_for("tweets") == DEFAULT_RATES["tweets"]
    assert gcs.rates_for("tweets") == GCS_RATES["tweets"]
    # a config left at the default rates can change flow: nothing of the other is kept
    assert replace(bytepath, flow="gcs").rates_for("tweets") == GCS_RATES["tweets"]
    given = EmulatorConfig(rates={"users": {"deleted": 0.5}})
    assert (given.rates_for("users"), given.rates_for("tweets")) == ({"deleted": 0.5}, {})


def test_upload_types_default_to_both_and_are_kept_as_a_tuple() -> None:
    assert EmulatorConfig().upload_types == ("text/plain", "application/octet-stream")
    assert EmulatorConfig(upload_types=["text/plain"]).upload_types == ("text/plain",)
