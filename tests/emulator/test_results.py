"""The results file of each flow: the 2026 byte-path format, and the gcs one unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compliance_frames.emulator import Emulator
from compliance_frames.emulator.config import EmulatorConfig
from compliance_frames.emulator.processing import process_upload
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import create, download, upload, validating_session

pytestmark = pytest.mark.flow("bytepath")
GOLDEN = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "gcs-results-golden.json").read_text()
)["cases"]
NOW = 1_700_000_000.0
TWEET = "1265324480517361664"  # created 2020-05-26T16:50:39.404Z (from the snowflake)


def results(emulator: Emulator, data: bytes, job_type: str = "tweets") -> bytes:
    api = validating_session(emulator)
    job = create(api, emulator, type=job_type)
    assert upload(emulator, job, data).status_code == 200
    emulator.wait_processed(job["id"])
    answer = download(emulator, job)
    assert answer.status_code == 200, answer.text
    return answer.content


def lines(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.splitlines() if line.strip()]


def by_id(content: bytes) -> dict[str, dict[str, Any]]:
    found = lines(content)
    indexed = {record["id"]: record for record in found}
    assert len(indexed) == len(found), "one record per ID"
    return indexed


# -- byte-path format -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "action"),
    [
        ("deleted", "delete"),
        ("protected", "delete"),
        ("deactivated", "delete"),
        ("suspended", "delete"),
        ("tweet_edited", "rehydrate"),
        ("geo_scrubbed", "scrub_geo"),
        ("scrub_geo", "scrub_geo"),  # the older spelling, sent as given
        ("bounced", "delete"),  # a reason the emulator does not know: a deletion
    ],
)
def test_each_tweet_reason_has_its_action(
    make_emulator: EmulatorFactory, reason: str, action: str
) -> None:
    emulator = make_emulator(events={TWEET: reason})
    [record] = lines(results(emulator, f"{TWEET}\n".encode()))
    assert (record["id"], record["reason"], record["action"]) == (TWEET, reason, action)
    assert record["created_at"] == "2020-05-26T16:50:39.404Z"
    assert record["redacted_at"] is not None
    if action == "delete":
        assert list(record) == ["id", "action", "created_at", "redacted_at", "deleted_at", "reason"]
        assert record["deleted_at"] == record["redacted_at"]
    else:
        assert list(record) == ["id", "action", "created_at", "redacted_at", "reason"]


@pytest.mark.parametrize("reason", ["deleted", "protected", "deactivated", "suspended"])
def test_user_reasons_are_deletions(make_emulator: EmulatorFactory, reason: str) -> None:
    emulator = make_emulator(events={"users": {"12": reason}})
    [record] = lines(results(emulator, b"12\n", "users"))
    assert (record["reason"], record["action"]) == (reason, "delete")
    assert record["deleted_at"] == record["redacted_at"]
    assert record["created_at"].endswith("+00:00")


def test_the_exact_lines(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(
        events={
            TWEET: {"reason": "deleted", "redacted_at": "2020-07-29T17:02:47.000Z"},
            "906972198136631298": {"reason": "tweet_edited", "redacted_at": "2021-01-01T00:00:00Z"},
            "1": {"reason": "protected", "redacted_at": None, "created_at": "2013-03-26T02:46:15Z"},
        }
    )
    content = results(emulator, f"{TWEET}\n906972198136631298\n1\nnot-an-id\n".encode())
    assert content.decode().splitlines() == [
        '{"id":"1265324480517361664","action":"delete","created_at":"2020-05-26T16:50:39.404Z",'
        '"redacted_at":"2020-07-29T17:02:47.000Z","deleted_at":"2020-07-29T17:02:47.000Z",'
        '"reason":"deleted"}',
        '{"id":"906972198136631298","action":"rehydrate","created_at":"2017-09-10T20:06:37.421Z",'
        '"redacted_at":"2021-01-01T00:00:00.000Z","reason":"tweet_edited"}',
        '{"id":"1","action":"delete","created_at":"2013-03-26T02:46:15.000Z","redacted_at":null,'
        f'"deleted_at":"{by_id(content)["1"]["deleted_at"]}","reason":"protected"}}',
        '{"id":"not-an-id","error":"invalid_id"}',
    ]


def test_redacted_at_is_null_for_the_configured_share(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(redacted_at_missing=0.3)
    ids = np.arange(10**18, 10**18 + 20_000, dtype=np.uint64)
    found = lines(results(emulator, b"".join(b"%d\n" % i for i in ids.tolist())))
    assert all("redacted_at" in record for record in found)
    missing = [record for record in found if record["redacted_at"] is None]
    assert len(missing) / len(found) == pytest.approx(0.3, abs=0.03)
    for record in found:
        if (
            record["action"] == "delete"
        ):  # deleted_at carries the time even when redacted_at is null
            assert record["deleted_at"] is not None
            assert record["redacted_at"] in (None, record["deleted_at"])
        else:
            assert "deleted_at" not in record
    assert {r["reason"] for r in found} == {
        "deleted",
        "suspended",
        "protected",
        "deactivated",
        "tweet_edited",
        "geo_scrubbed",
    }
    assert {r["action"] for r in found} == {"delete", "rehydrate", "scrub_geo"}


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (["geo_scrubbed", "tweet_edited", "protected", "deleted"], "protected"),
        (["scrub_geo", "tweet_edited"], "tweet_edited"),
        (["geo_scrubbed", "scrub_geo"], "geo_scrubbed"),
        (["deleted", "suspended"], "deleted"),
        ([{"reason": "tweet_edited"}, {"reason": "x", "action": "delete"}], "x"),
    ],
)
def test_one_event_per_id_by_priority(
    make_emulator: EmulatorFactory, given: list[Any], kept: str
) -> None:
    emulator = make_emulator(events={"5": given})
    [record] = lines(results(emulator, b"5\n"))
    assert record["reason"] == kept


def test_invalid_lines_come_back_as_invalid_id_records(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={"20": "deleted", "21": "invalid_id"})
    data = (
        b"20\r\n"
        b"\n"
        b"   \n"
        b"abc\n"
        b"9223372036854775807\n"  # 2**63-1: the largest snowflake
        b"9223372036854775808\n"  # 2**63: not a signed 64-bit ID
        b"12345678901234567890\n"  # 20 digits
        b"-1\n"
        b"+2\n"
        b" 3\n"
        b"2.0\n"
        b'x"y\\\r\n'
        b"21\n"
        b"22"
    )
    found = lines(results(emulator, data))
    invalid = [record["id"] for record in found if record.get("error") == "invalid_id"]
    assert invalid == [
        "abc",
        "9223372036854775808",
        "12345678901234567890",
        "-1",
        "+2",
        " 3",
        "2.0",
        'x"y\\',
        "21",
    ]
    assert all(set(record) == {"id", "error"} for record in found if "error" in record)
    assert [record["id"] for record in found if "error" not in record] == ["20"]
    view = emulator.jobs[0]
    assert (view["status"], view["n_ids"], view["n_invalid"]) == ("complete", 4, 9)


def test_a_file_of_only_invalid_lines_completes(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={})
    found = lines(results(emulator, b"\xff\xfe\nnope\n"))
    assert [record["error"] for record in found] == ["invalid_id", "invalid_id"]
    assert found[1]["id"] == "nope"


def test_derived_users_events_have_user_reasons(emulator: Emulator) -> None:
    ids = np.arange(1, 20_001, dtype=np.uint64) * np.uint64(7919)
    found = lines(results(emulator, b"".join(b"%d\n" % i for i in ids.tolist()), "users"))
    assert {r["reason"] for r in found} == {"deleted", "suspended", "protected", "deactivated"}
    assert {r["action"] for r in found} == {"delete"}


# -- gcs format: unchanged -------------------------------------------------------------

EXPLICIT = {
    "1000000000000000000": ["deleted", "scrub_geo"],
    "1000000000001000003": {"reason": "protected", "redacted_at": None},
    "1000000000002000006": {"reason": "bounced", "redacted_at": "2020-07-21T23:37:55.607Z"},
    "1000000000003000009": {
        "reason": "suspended",
        "created_at": "2019-01-01T00:00:00Z",
        "action": "delete",
    },
    "7919": ["deactivated"],
}
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "tweets-default": ("tweets", {}),
    "users-default": ("users", {}),
    "tweets-seed3-missing30-crlf-blank": (
        "tweets",
        {"seed": 3, "redacted_at_missing": 0.3, "crlf": True, "blank_lines": True},
    ),
    "users-rates": ("users", {"rates": {"users": {"deleted": 0.2, "protected": 0.1}}}),
    "tweets-explicit": ("tweets", {"events": EXPLICIT}),
    "users-explicit": ("users", {"events": EXPLICIT}),
}


def golden_ids(job_type: str) -> bytes:
    if job_type == "tweets":
        values = np.uint64(10**18) + np.arange(5000, dtype=np.uint64) * np.uint64(1_000_003)
    else:
        small = np.arange(1, 2501, dtype=np.uint64) * np.uint64(7919)
        big = np.uint64(10**17) + np.arange(2500, dtype=np.uint64) * np.uint64(104_729)
        values = np.concatenate([small, big])
    return b"".join(b"%d\n" % v for v in values.tolist())


@pytest.mark.flow("gcs")
@pytest.mark.parametrize("case", CASES)
def test_gcs_results_are_byte_for_byte_as_before(tmp_path: Path, case: str) -> None:
    job_type, settings = CASES[case]
    source, target = tmp_path / "in", tmp_path / "out"
    source.write_bytes(golden_ids(job_type))
    config = EmulatorConfig(flow="gcs", **settings)
    outcome = process_upload(str(source), str(target), job_type, config, now=NOW)
    data = target.read_bytes()
    expected = GOLDEN[case]
    assert (len(data), outcome.n_events) == (expected["bytes"], expected["events"])
    assert hashlib.sha256(data).hexdigest() == expected["sha256"]
