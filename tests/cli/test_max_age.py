"""``--max-age``: how old an earlier job's answer may be for ``check`` and ``all`` to use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_frames.cli.common import duration
from compliance_frames.emulator import Emulator
from tests.cli.conftest import Run, out


def all_args(ids_file: Path, results: Path, *extra: str) -> tuple[str, ...]:
    return (
        "all",
        "--type",
        "tweets",
        "--name",
        "fresh",
        "--ids-file",
        str(ids_file),
        "--results-file",
        str(results),
        "--no-progress",
        *extra,
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6h", 21600.0), ("7d", 604800.0), ("30m", 1800.0), ("90s", 90.0), ("0", 0.0)],
)
def test_durations_are_read(text: str, seconds: float) -> None:
    assert duration(text) == seconds
    assert duration(f" {text.upper()} ") == seconds
    assert duration("any") is None


def test_all_with_max_age_zero_runs_a_new_job(
    cli: Run, cli_emulator: Emulator, ids_file: Path, tmp_path: Path
) -> None:
    results = tmp_path / "all.ndjson"
    assert cli(*all_args(ids_file, results)).returncode == 0
    assert cli(*all_args(ids_file, results, "--max-age", "6h")).returncode == 0
    assert len(cli_emulator.jobs) == 1  # fresh enough: found again
    again = cli(*all_args(ids_file, results, "--max-age", "0"))
    assert again.returncode == 0, out(again)
    assert len(cli_emulator.jobs) == 2
    assert "wrote 2 records (1 deleted, 1 scrub_geo)" in again.stdout
    assert cli(*all_args(ids_file, results, "--max-age", "any")).returncode == 0
    assert len(cli_emulator.jobs) == 2


def test_check_with_max_age_zero_runs_one_new_job(
    cli: Run, cli_emulator: Emulator, tmp_path: Path
) -> None:
    dataset = tmp_path / "tweets.csv"
    dataset.write_text("tweet_id\n1265324480517361664\n906972198136631298\n20\n")
    args = ("check", str(dataset), "--id-col", "tweet_id", "--no-progress")
    kept = tmp_path / "kept.csv"
    assert cli(*args, "--filtered", str(kept)).returncode == 0
    assert len(cli_emulator.jobs) == 1
    second = cli(*args, "--filtered", str(kept), "--max-age", "0")
    assert second.returncode == 0, out(second)
    assert len(cli_emulator.jobs) == 2  # one new job, used by the check and the filter alike


@pytest.mark.parametrize("bad", ["soon", "-5", "6 hours", "h", ""])
@pytest.mark.parametrize("command", ["all", "check"])
def test_a_bad_max_age_is_a_usage_error(
    cli: Run, cli_emulator: Emulator, ids_file: Path, tmp_path: Path, bad: str, command: str
) -> None:
    if command == "all":
        args = all_args(ids_file, tmp_path / "all.ndjson")
    else:
        args = ("check", str(ids_file), "--id-col", "id")
    result = cli(*args, f"--max-age={bad}")
    assert result.returncode == 2
    assert "--max-age" in result.stderr
    assert "is not a duration" in result.stderr
    assert "6h" in result.stderr  # what it takes
    assert "Traceback" not in out(result)
    assert len(cli_emulator.jobs) == 0


@pytest.mark.parametrize("command", ["all", "check"])
def test_help_names_max_age(cli: Run, command: str) -> None:
    result = cli(command, "--help")
    assert "--max-age DURATION" in result.stdout
    assert "default: 24h" in " ".join(result.stdout.split())
