"""The benchmark scripts keep working (at a small size; the figures come from full runs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
