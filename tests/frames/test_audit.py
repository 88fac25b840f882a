"""The audit log and deletion receipts of check(), results() and filter()."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

import compliance_frames
from compliance_frames import Client
from compliance_frames.audit import read_log
from tests.frames.conftest import (
    AUTHORS,
    POLARS,
    T_DELETED,
    T_EDITED,
    T_OK,
    T_SUSPENDED,
    TWEETS,
    Constructor,
    constructors,
)


def _log(client: Client) -> list[dict[str, Any]]:
    return read_log(client.cache_dir)


def test_check_appends_one_line_without_the_token(
    constructor: Constructor, client: Client, events_emulator: Any
) -> None:
    compliance_frames.check(
        constructor(), "tweet_id", user_col="author_id", client=client, progress=False
    )
    (line,) = _log(client)
    assert line["kind"] == "check"
    assert line["version"] == compliance_frames.__version__
    assert line["ids"] == {"tweets": len(set(TWEETS)), "users": len(set(AUTHORS))}
    assert set(line["digests"]) == {"tweets", "users"}
    assert {job["type"] for job in line["jobs"]} == {"tweets", "users"}
    assert line["reasons"]["deleted"] == 2  # one post, one account
    assert line["reasons"]["suspended"] == 2
    if not constructor.lazy:
        assert line["rows"] == len(TWEETS)
        assert line["flagged"] > 0
    text = (client.cache_dir / "audit.jsonl").read_text()
    assert events_emulator.bearer_token not in text
    assert text.count("\n") == 1


def test_results_and_filter_lines(client: Client) -> None:
    frame = POLARS()
    compliance_frames.results(frame, "tweet_id", client=client, progress=False)
    compliance_frames.filter(frame, "tweet_id", client=client, progress=False, report=False)
    kinds = [line["kind"] for line in _log(client)]
    assert kinds == ["results", "filter"]  # filter's own check makes no line of its own
    filtered = _log(client)[1]
    assert filtered["rows"] == len(TWEETS)
    assert 0 < filtered["removed"] < len(TWEETS)


@pytest.mark.parametrize("constructor", constructors("pandas", "polars", "polars-lazy", "dask"))
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_filter_writes_a_receipt(
    constructor: Constructor, client: Client, tmp_path: Path, suffix: str, events_emulator: Any
) -> None:
    target = tmp_path / f"receipt{suffix}"
    compliance_frames.filter(
        constructor(),
        "tweet_id",
        user_col="author_id",
        client=client,
        progress=False,
        report=False,
        edited="drop",
        receipt=target,
    )
    text = target.read_text()
    assert events_emulator.bearer_token not in text
    if suffix == ".csv":
        header = [line for line in text.splitlines() if line.startswith("#")]
        assert any("jobs" in line for line in header)
        rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    else:
        first, *rest = text.splitlines()
        assert json.loads(first)["version"] == compliance_frames.__version__
        assert len(json.loads(first)["jobs"]) == 2
        rows = [json.loads(line) for line in rest]
    by_rule = {(row["id"], row["rule"]): row for row in rows}
    assert by_rule[T_DELETED, "post"]["reason"] == "deleted"
    assert by_rule[T_SUSPENDED, "post"]["type"] == "tweets"
    assert by_rule["102", "account"]["reason"] == "suspended"  # the author of T_OK
    assert by_rule["102", "account"]["type"] == "users"
    assert by_rule[T_OK, "author"]["reason"] == "author suspended"  # the post that went
    assert by_rule[T_OK, "author"]["type"] == "tweets"
    assert by_rule[T_EDITED, "edited-dropped"]
    assert all(row["as_of"].startswith("20") for row in rows)
    assert len(rows) == len(by_rule)  # each (ID, rule) once
