"""``compliance-frames clean-jsonl IN OUT [--report FILE] [--edited keep|drop]``, end to end
in this process against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance_frames.emulator import Emulator
from tests.cli.conftest import Run, command, out
from tests.conftest import EmulatorFactory
from tests.jsonl.conftest import (
    EVENTS,
    P_EDITED,
    flatten,
    page_one,
    page_two,
    post_ids,
    read_lines,
    write_lines,
)

pytestmark = pytest.mark.flow("bytepath")

FAST = ("--poll-interval", "0.05", "--no-progress")


@pytest.fixture
def emulator(make_emulator: EmulatorFactory) -> Emulator:
    return make_emulator(events=EVENTS)


@pytest.fixture
def run(emulator: Emulator, tmp_path: Path) -> Run:
    return command(emulator, tmp_path)


def test_clean_jsonl_writes_the_collection_and_the_report(run: Run, tmp_path: Path) -> None:
    write_lines(tmp_path / "tweets.jsonl", [page_one(), page_two()])
    result = run("clean-jsonl", "tweets.jsonl", "out/clean.jsonl", "--report", "report.json", *FAST)
    assert result.returncode == 0, out(result)
    assert "Posts removed: 2 (1 deleted, 1 suspended)" in result.stdout
    assert "Wrote the report to report.json." in result.stdout
    records = read_lines(tmp_path / "out" / "clean.jsonl")
    assert P_EDITED in post_ids(records)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["edited_ids"] == [P_EDITED]
    assert report["retweets_removed"] == 2
    assert report["lines_by_shape"] == {"page": 2}
    assert set(report["job_ids"]) == {"tweets", "users"}


def test_edited_drop_on_a_flattened_file(run: Run, tmp_path: Path) -> None:
    write_lines(tmp_path / "flat.jsonl", flatten(page_one()))
    result = run("clean-jsonl", "flat.jsonl", "clean.jsonl", "--edited", "drop", *FAST)
    assert result.returncode == 0, out(result)
    assert P_EDITED not in post_ids(read_lines(tmp_path / "clean.jsonl"))
    assert "edited, dropped: 1" in result.stdout


def test_a_bad_line_is_one_error_line_and_exit_2(run: Run, tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"data": []}\nnot json\n')
    result = run("clean-jsonl", "bad.jsonl", "clean.jsonl", *FAST)
    assert result.returncode == 2
    assert result.stderr.startswith("compliance-frames: error: bad.jsonl: line 2 is not JSON")
    assert "Fix or remove that line, then run again." in result.stderr
    assert "Traceback" not in out(result)
    assert not (tmp_path / "clean.jsonl").exists()


def test_the_same_file_and_a_missing_input_are_refused(run: Run, tmp_path: Path) -> None:
    write_lines(tmp_path / "tweets.jsonl", [page_one()])
    same = run("clean-jsonl", "tweets.jsonl", "./tweets.jsonl", *FAST)
    assert same.returncode == 2
    assert "the same file" in same.stderr
    missing = run("clean-jsonl", "nowhere.jsonl", "clean.jsonl", *FAST)
    assert missing.returncode == 2
    assert "Cannot read IN nowhere.jsonl" in missing.stderr
    folder = run("clean-jsonl", "tweets.jsonl", ".", *FAST)
    assert folder.returncode == 2
    assert "is a folder" in folder.stderr


def test_help_shows_examples_without_heavy_imports(tmp_path: Path) -> None:
    shown = command(None, tmp_path)("clean-jsonl", "--help")
    assert shown.returncode == 0
    assert "compliance-frames clean-jsonl tweets.jsonl clean.jsonl" in shown.stdout
