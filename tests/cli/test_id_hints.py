"""The command line's ID hints: an ID file (``upload --ids-file``, ``all``) and a dataset
(``check``) with a header line, floats' marks or spaces get the specific advice."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.cli.conftest import Run, out

DELETED = "1265324480517361664"


def ids_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "ids.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def created(cli: Run) -> str:
    made = cli("create", "--type", "tweets", "--name", "hints", "--json")
    assert made.returncode == 0, out(made)
    return str(json.loads(made.stdout)["id"])


def test_upload_an_ids_file_with_a_header_line(cli: Run, tmp_path: Path) -> None:
    job = created(cli)
    path = ids_file(tmp_path, "tweet_id", DELETED, "20")
    result = cli("upload", "--id", job, "--ids-file", str(path), "--no-progress")
    assert result.returncode != 0
    assert "'tweet_id' at line 1" in result.stderr
    assert "looks like a column name" in result.stderr
    assert "Delete the header line" in result.stderr


@pytest.mark.parametrize(
    ("line", "says"),
    [("1.23E+18", "scientific notation"), ("1265324480517440576.0", "'.0' above 2**53")],
)
def test_all_with_floats_marks_in_the_ids_file(
    cli: Run, tmp_path: Path, line: str, says: str
) -> None:
    path = ids_file(tmp_path, DELETED, line)
    result = cli(
        "all",
        "--type",
        "tweets",
        "--name",
        "hints",
        "--ids-file",
        str(path),
        "--results-file",
        "r.json",
    )
    assert result.returncode != 0
    assert says in result.stderr
    assert "export the ids again from their source as text" in result.stderr.lower()
    assert "read_csv" not in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_all_trims_spaces_around_ids_and_says_so(cli: Run, tmp_path: Path) -> None:
    path = ids_file(tmp_path, f" {DELETED} ", "20\t")
    result = cli(
        "all",
        "--type",
        "tweets",
        "--name",
        "trimmed",
        "--ids-file",
        str(path),
        "--results-file",
        "r.json",
        "--no-progress",
    )
    assert result.returncode == 0, out(result)
    assert "2 ID(s) had spaces or tabs around them" in result.stderr
    assert "2 distinct IDs read" in result.stderr
    assert "1 records (1 deleted)" in result.stdout


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1.23E+18", "scientific notation"),
        ("1265324480517440576.0", "'.0' above 2**53"),
        ("20.0", "small enough to be exact"),
    ],
)
def test_check_a_csv_with_floats_marks(cli: Run, tmp_path: Path, value: str, says: str) -> None:
    source = tmp_path / "tweets.csv"
    source.write_text(f"tweet_id,text\n{DELETED},a\n{value},b\n")
    result = cli("check", str(source), "--id-col", "tweet_id", "--no-progress")
    assert result.returncode != 0
    assert f"row 1: {value!r}" in result.stderr
    assert says in result.stderr
    assert "--errors skip" in result.stderr


def test_check_a_csv_with_spaces_around_ids(cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "tweets.csv"
    source.write_text(f'tweet_id,text\n" {DELETED}",a\n20 ,b\n')
    result = cli("check", str(source), "--id-col", "tweet_id", "--no-progress")
    assert result.returncode == 0, out(result)
    assert "2 ID(s) had spaces or tabs around them" in result.stderr


def test_check_a_parquet_float_column(cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "tweets.parquet"
    pl.DataFrame({"tweet_id": [1.2653244805174405e18, 20.0]}).write_parquet(source)
    result = cli("check", str(source), "--id-col", "tweet_id", "--no-progress")
    assert result.returncode != 0
    assert "holds floats" in result.stderr
    assert "lost digits" in result.stderr


def test_check_a_parquet_float_column_gives_shell_advice(cli: Run, tmp_path: Path) -> None:
    source = tmp_path / "tweets.parquet"
    pl.DataFrame({"tweet_id": [1.2653244805174405e18, 20.0]}).write_parquet(source)
    result = cli("check", str(source), "--id-col", "tweet_id", "--no-progress")
    assert "read_csv" not in result.stderr
    assert "save the column 'tweet_id' as text" in result.stderr.lower()
