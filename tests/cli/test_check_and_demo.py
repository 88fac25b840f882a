"""``check`` on dataset files, and the ``demo``."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import polars as pl
import pytest

from compliance_frames.emulator import Emulator
from tests.cli.conftest import Run, command, out
from tests.conftest import EmulatorFactory

DATASET = pl.DataFrame(
    {
        "tweet_id": ["1265324480517361664", "906972198136631298", "20", "1265324480517361664"],
        "author_id": ["101", "102", "103", "101"],
        "lat": [1.0, 2.0, 3.0, 4.0],
    }
)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".ndjson"])
def test_check_a_dataset_file(cli: Run, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"tweets{suffix}"
    {".csv": DATASET.write_csv, ".parquet": DATASET.write_parquet, ".ndjson": DATASET.write_ndjson}[
        suffix
    ](source)
    flagged, filtered = tmp_path / "flagged.parquet", tmp_path / "clean.csv"
    result = cli(
        "check",
        str(source),
        "--id-col",
        "tweet_id",
        "--user-col",
        "author_id",
        "--output",
        str(flagged),
        "--filtered",
        str(filtered),
        "--geo-columns",
        "lat",
        "--no-progress",
    )
    assert result.returncode == 0, out(result)
    assert "% of 4 posts were still available" in result.stdout
    table = pl.read_parquet(flagged)
    assert table["compliance_deleted"].to_list() == [True, False, False, True]
    assert table["compliance_suspended"].to_list() == [True, False, False, True]  # author 101
    assert table["compliance_scrub_geo"].to_list() == [False, True, False, False]
    clean = pl.read_csv(filtered, schema_overrides={"tweet_id": pl.String})
    assert clean["tweet_id"].to_list() == ["906972198136631298", "20"]
    assert clean["lat"].to_list() == [None, 3.0]
    assert "Kept 2 of 4 rows" in result.stdout


def test_check_output_follows_the_suffix(cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    for name in ("out.csv", "out.ndjson", "out.jsonl"):
        assert (
            cli(
                "check",
                str(source),
                "--id-col",
                "tweet_id",
                "--output",
                str(tmp_path / name),
                "--no-progress",
            ).returncode
            == 0
        )
    assert pl.read_csv(tmp_path / "out.csv")["compliance_deleted"].to_list() == [
        True,
        False,
        False,
        True,
    ]
    assert pl.read_ndjson(tmp_path / "out.ndjson").height == 4


def test_check_errors(cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    unknown = cli("check", str(source), "--id-col", "tweet_id", "--output", "out.xlsx")
    assert unknown.returncode == 2
    assert "use .csv, .parquet or .ndjson" in unknown.stderr
    missing = cli("check", str(source), "--id-col", "id")
    assert missing.returncode == 2
    assert "No column 'id'" in missing.stderr
    bad = tmp_path / "bad.csv"
    pl.DataFrame({"tweet_id": ["1", "x"]}).write_csv(bad)
    invalid = cli("check", str(bad), "--id-col", "tweet_id")
    assert invalid.returncode == 2
    assert "row 1: 'x'" in invalid.stderr
    assert "--errors skip" in invalid.stderr  # the option, not the Python argument
    skipped = cli("check", str(bad), "--id-col", "tweet_id", "--errors", "skip", "--no-progress")
    assert skipped.returncode == 0
    assert "Nothing written" in skipped.stdout


def test_the_demo_runs_offline_in_well_under_a_minute(tmp_path: Path) -> None:
    run = command(None, tmp_path)
    started = time.monotonic()
    result = run("demo", "--output-dir", "out")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, out(result)
    assert "of 30,000 posts were still available" in result.stdout
    assert "kept posts were edited: fetch them again" in result.stdout
    assert "edited=" not in result.stdout  # no Python advice (the demo has no --edited)
    assert "Waiting for cf-tweets-30000" in result.stderr  # visible progress
    assert "Waiting for cf-users-" in result.stderr
    flagged, filtered = tmp_path / "out" / "flagged.parquet", tmp_path / "out" / "filtered.parquet"
    assert str(flagged.resolve()) in result.stdout
    assert str(filtered.resolve()) in result.stdout
    table = pl.read_parquet(flagged)
    assert table.height == 30_000
    assert "compliance_user_reason" in table.columns
    assert 0 < pl.read_parquet(filtered).height < 30_000
    assert elapsed < 60


def test_the_token_goes_with_the_cli_transfers_only_to_the_api_host(
    cli: Run, cli_emulator: Emulator, tmp_path: Path, flow: str
) -> None:
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    cli("check", str(source), "--id-col", "tweet_id", "--user-col", "author_id", "--no-progress")
    assert cli_emulator.storage_authorizations() == []
    transfers = [
        entry
        for entry in cli_emulator.request_log()
        if entry.host == "storage" or entry.path.endswith(("/upload", "/download"))
    ]
    assert len(transfers) == 4  # two jobs: an upload and a download each
    expected = f"Bearer {cli_emulator.bearer_token}" if flow == "bytepath" else None
    assert {entry.authorization for entry in transfers} == {expected}


def test_check_refuses_unreadable_inputs_and_unknown_geo_columns_before_any_job(
    cli: Run, cli_emulator: Emulator, tmp_path: Path
) -> None:
    for name, content in (("broken.parquet", b"PAR1 not really"), ("broken.ndjson", b"{nope\n")):
        broken = tmp_path / name
        broken.write_bytes(content)
        result = cli("check", str(broken), "--id-col", "tweet_id")
        assert result.returncode == 2, out(result)
        assert "Traceback" not in result.stderr
        assert f"Cannot read {broken}" in result.stderr
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    flagged = tmp_path / "flagged.parquet"
    result = cli(
        "check", str(source), "--id-col", "tweet_id", "--output", str(flagged),
        "--filtered", "kept.csv", "--geo-columns", "lat,nope",
    )  # fmt: skip
    assert result.returncode == 2, out(result)
    assert "No column 'nope'" in result.stderr
    assert not flagged.exists()
    assert cli_emulator.request_log("api") == []


def test_written_files_follow_the_umask(cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    flagged = tmp_path / "flagged.csv"
    result = cli("check", str(source), "--id-col", "tweet_id", "--output", str(flagged))
    assert result.returncode == 0, out(result)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(flagged.stat().st_mode) == 0o666 & ~umask


def test_check_keeps_edited_posts_unless_told_to_drop_them(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = make_emulator(events={"tweets": {"20": "tweet_edited"}}, rate_window=10.0)
    run = command(emulator, tmp_path)
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    outputs = {}
    for edited in ("keep", "drop"):
        target = tmp_path / f"{edited}.csv"
        result = run(
            "check", str(source), "--id-col", "tweet_id", "--filtered", str(target),
            "--edited", edited, "--no-progress",
        )  # fmt: skip
        assert result.returncode == 0, out(result)
        outputs[edited] = result.stdout
        kept = pl.read_csv(target, schema_overrides={"tweet_id": pl.String})["tweet_id"]
        assert ("20" in kept.to_list()) is (edited == "keep")
    assert "1 kept posts were edited: fetch them again" in outputs["keep"]
    assert "Kept 3 of 4 rows; removed 1 (1 edited)" in outputs["drop"]
    bad = run("check", str(source), "--id-col", "tweet_id", "--edited", "maybe")
    assert bad.returncode == 2
    assert "invalid choice: 'maybe'" in bad.stderr
