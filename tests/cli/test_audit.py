"""``compliance-frames audit`` and ``--receipt`` on ``check --filtered`` and ``clean-jsonl``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from compliance_frames.emulator import Emulator
from tests.cli.conftest import Run, out

IDS = ["1265324480517361664", "1265324480517361665", "20"]


def _dataset(tmp_path: Path) -> Path:
    path = tmp_path / "tweets.csv"
    path.write_text("tweet_id,text\n" + "".join(f"{i},t{n}\n" for n, i in enumerate(IDS)))
    return path


def test_no_log_is_an_empty_result(cli: Run) -> None:
    result = cli("audit")
    assert result.returncode == 0, out(result)
    assert "No runs recorded" in result.stdout
    assert cli("audit", "--json").stdout == ""


def test_check_filtered_receipt_and_the_log(
    cli: Run, cli_emulator: Emulator, tmp_path: Path
) -> None:
    _dataset(tmp_path)
    result = cli(
        "check",
        "tweets.csv",
        "--id-col",
        "tweet_id",
        "--filtered",
        "kept.csv",
        "--receipt",
        "receipt.csv",
        "--no-progress",
    )
    assert result.returncode == 0, out(result)
    assert "Wrote the deletion receipt to receipt.csv." in result.stdout
    assert "=" not in result.stdout.split("Kept", 1)[1]  # no Python arguments in the report
    text = (tmp_path / "receipt.csv").read_text()
    assert cli_emulator.bearer_token not in text
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert [(row["id"], row["rule"]) for row in rows] == [(IDS[0], "post")]
    lines = [json.loads(line) for line in cli("audit", "--json").stdout.splitlines()]
    assert [line["kind"] for line in lines] == ["check", "filter"]
    assert lines[1]["removed"] == 1
    table = cli("audit").stdout
    assert "filter" in table
    assert "2 runs recorded" in table
    log = (tmp_path / "cache" / "audit.jsonl").read_text()
    assert cli_emulator.bearer_token not in log
    assert cli("audit", "--since", "2999-01-01", "--json").stdout == ""
    bad = cli("audit", "--since", "yesterday")
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr


def test_receipt_needs_filtered(cli: Run, tmp_path: Path) -> None:
    _dataset(tmp_path)
    result = cli("check", "tweets.csv", "--id-col", "tweet_id", "--receipt", "r.jsonl")
    assert result.returncode == 2
    assert "--filtered" in result.stderr


def test_clean_jsonl_receipt(cli: Run, tmp_path: Path) -> None:
    posts = [{"id": i, "author_id": "7", "text": "x"} for i in IDS]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts))
    result = cli(
        "clean-jsonl",
        "in.jsonl",
        "out.jsonl",
        "--receipt",
        "receipt.jsonl",
        "--no-progress",
    )
    assert result.returncode == 0, out(result)
    header, *rows = (tmp_path / "receipt.jsonl").read_text().splitlines()
    assert json.loads(header)["removed"] == len(rows)
    assert {json.loads(row)["id"] for row in rows} == {IDS[0]}
    (line,) = [json.loads(x) for x in cli("audit", "--json").stdout.splitlines()]
    assert line["kind"] == "clean_jsonl"
    assert line["ids"] == {"tweets": 3, "users": 1}
