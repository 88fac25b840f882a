"""The notebook runs top to bottom, and the examples run, on the emulator."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).parents[1]


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BEARER_TOKEN", "X_API_BASE_URL")}
    env["COMPLIANCE_FRAMES_CACHE"] = str(tmp_path / "cache")
    env["MPLBACKEND"] = "Agg"
    return env


NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
_JOB_LINE = re.compile(r"compliance-frames: (\w+) (?:to )?(cf-[a-z]+-[0-9]+-[0-9a-f]+)")
_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")
_TIME = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?")
"""A timestamp in a displayed frame: the emulator's redacted_at moves with the clock."""


def _load_refresh() -> Any:
    spec = importlib.util.spec_from_file_location("refresh", ROOT / "notebooks" / "refresh.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shown(cell: Any) -> dict[str, Any]:
    """What a code cell shows, in the parts that do not change from run to run: the
    results and printed text (dates and times aside), which jobs each progress line is about, and
    the kinds of rich output."""
    printed = "".join(
        o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"
    )
    progress = "".join(
        o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"
    )
    results = [
        o.data.get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result"
    ]
    results = [_TIME.sub("TIME", text) for text in results]
    return {
        "stdout": _DATE.sub("DATE", printed),
        "progress": sorted(set(_JOB_LINE.findall(progress))),
        "results": results,
        "kinds": sorted({kind for o in cell.outputs for kind in o.get("data", {})}),
        "errors": [o.ename for o in cell.outputs if o.output_type == "error"],
    }


def test_the_notebook_is_saved_with_its_outputs() -> None:
    """Saved as it runs (``python notebooks/refresh.py``), so it reads on a code host:
    every cell run once, in order, with what it showed; nothing of the machine it ran on."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    silent = [cell.source for cell in code if not cell.outputs]
    assert len(silent) <= 2, silent  # starting and stopping the emulator show nothing
    assert all(_shown(cell)["errors"] == [] for cell in code)
    text = nbformat.writes(notebook)
    for leak in ("/tmp/", "/home/", "pytest-of", "Bearer ", "\r", "\x1b"):
        assert leak not in text, leak
    assert "of 30,000 posts were still available" in text
    assert "image/png" in text


def test_the_notebook_runs_top_to_bottom_and_shows_what_is_saved(tmp_path: Path) -> None:
    """Run again on the emulator, each cell shows what the saved notebook shows: if this
    fails after a change, look at the difference and run ``python notebooks/refresh.py``."""
    saved = nbformat.read(NOTEBOOK, as_version=4)
    ran = _load_refresh().execute(NOTEBOOK, tmp_path)
    pairs = [
        (before, after)
        for before, after in zip(saved.cells, ran.cells, strict=True)
        if before.cell_type == "code"
    ]
    for number, (before, after) in enumerate(pairs, start=1):
        assert _shown(after) == _shown(before), f"code cell {number}: {before.source[:60]!r}"


@pytest.mark.parametrize(
    "script",
    [
        "filter_dataset.py",
        "tweets_and_authors.py",
        "client_lifecycle.py",
        "clean_twarc_collection.py",
    ],
)
def test_the_python_examples_run_offline(script: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        cwd=tmp_path,
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip()


def test_the_command_line_example_runs_offline(tmp_path: Path) -> None:
    env = offline_env(tmp_path)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run(
        ["bash", str(ROOT / "examples" / "command_line.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Wrote the flagged dataset" in result.stdout
    assert shutil.which("bash")
