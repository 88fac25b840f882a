"""The benchmark scripts keep working (at a small size; the figures come from full runs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


def test_bench_emulator_runs_and_reports(tmp_path: Path) -> None:
    import bench_emulator

    out = tmp_path / "emulator.json"
    report = bench_emulator.main(["--ids", "20000", "--out", str(out)])
    assert report["ids"] == 20_000
    assert 1_000 < int(report["events"]) < 3_000  # about a tenth
    saved = json.loads(out.read_text())
    assert [phase["name"] for phase in saved["phases"]][:2] == ["create job", "upload 0 MB"]
    assert all(phase["seconds"] >= 0 for phase in saved["phases"])


def test_bench_check_runs_every_contestant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench_check

    monkeypatch.setattr(bench_check, "touch_memory", lambda gigabytes: None)  # not for a test
    out = tmp_path / "check.json"
    report = bench_check.main(["--rows", "20000", "--repeat", "1", "--out", str(out)])
    assert json.loads(out.read_text())["rows"] == 20_000
    for name in ("pandas", "polars", "baseline"):
        run = report["runs"][name]
        assert run["total_seconds"] > 0
        assert set(bench_check.PHASES) <= set(run["phases"])
    assert set(report["ratios"]["end_to_end_speedup"]) == {"pandas", "polars"}
    assert set(report["bare"]["pandas"]) == set(bench_check.CLIENT_SIDE)


def test_bench_out_of_core_runs_every_engine(tmp_path: Path) -> None:
    import bench_out_of_core

    out = tmp_path / "ooc.json"
    report = bench_out_of_core.main(
        [
            "--rows",
            "30000",
            "--memory",
            "2",
            "--max-ids-per-job",
            "10000",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(out),
            "--caps",
            "cap",  # (in a cgroup where the machine allows one; else said, and uncapped)
        ]
    )
    runs = report["runs"]
    assert [run["engine"] for run in runs] == ["polars", "dask", "dask-distributed", "spark"]
    for run in runs:
        assert "failed" not in run, run.get("stderr")
        assert run["rows"] == 30_000
        assert run["jobs"] == 3  # split by max_ids_per_job
        assert 0 < run["kept"] < 30_000
    assert len({(run["deleted"], run["kept"]) for run in runs}) == 1  # every engine agrees


def test_bench_ids_runs_every_entry_point(tmp_path: Path) -> None:
    import bench_ids

    out = tmp_path / "ids.json"
    report = bench_ids.main(["--ids", "5000", "--repeat", "1", "--out", str(out)])
    assert report["ids"] == 5_000
    assert report["distinct"] == 4_500  # a tenth are repeats
    assert set(report["seconds"]) >= {bench_ids.POLARS, "polars Series (check)", "ID file"}
    assert report["ratio_to_polars"][bench_ids.POLARS] == 1.0
    assert json.loads(out.read_text())["ids"] == 5_000
    assert not (tmp_path / "bench-ids-input.txt").exists()  # the work file is removed


def test_bench_cli_startup_runs_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bench_cli_startup

    # Its results go next to the script: here, into tmp_path.
    monkeypatch.setattr(bench_cli_startup, "__file__", str(tmp_path / "bench_cli_startup.py"))
    monkeypatch.setattr(sys, "argv", ["bench_cli_startup.py", "--runs", "1"])
    bench_cli_startup.main()
    report = json.loads((tmp_path / "results" / "cli_startup.json").read_text())
    assert set(report["seconds"]) >= {"python -c pass", "compliance-frames --help"}
    assert all(run["wall"] > 0 for run in report["seconds"].values())
    assert report["heavy_modules"]["as installed"] == []  # --help imports no dataframe library
    assert report["slowest_imports"]
    assert "Heavy modules imported by --help" in capsys.readouterr().out


def test_bench_polling_reports_every_scenario(tmp_path: Path) -> None:
    import bench_polling

    out = tmp_path / "polling.json"
    report = bench_polling.main(["--hours", "0.5", "--checks", "3", "--out", str(out)])
    runs = json.loads(out.read_text())["runs"]
    assert (
        runs["long, with history, now"]["requests"] < runs["long, no history, before"]["requests"]
    )
    assert runs["a 14 ms job, now"]["first_seconds"] < 1.5
    assert all(run["no_429"] for run in runs.values())
    assert set(report["ratios"]) == {
        "requests_with_history_vs_before",
        "first_answer_before_vs_now",
        "longest_check_before_vs_now",
    }
