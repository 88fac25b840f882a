"""The benchmark of clean_jsonl() keeps working (at a small size; the figures come from a
full run, see benchmarks/README.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


def test_bench_clean_jsonl_runs_and_reports(tmp_path: Path) -> None:
    import bench_clean_jsonl

    out = tmp_path / "clean.json"
    result = bench_clean_jsonl.main(["--size", "2M", "--out", str(out)])
    assert result["file_bytes"] >= 2_000_000
    assert result["report"]["lines_in"] == result["report"]["lines_out"]
    assert result["report"]["posts_checked"] > result["posts"]
    assert json.loads(out.read_text())["clean_seconds"] > 0
