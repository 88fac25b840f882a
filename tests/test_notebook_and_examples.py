"""The notebook runs top to bottom, and the examples run, on the emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[1]


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BEARER_TOKEN", "X_API_BASE_URL")}
    env["COMPLIANCE_FRAMES_CACHE"] = str(tmp_path / "cache")
    env["MPLBACKEND"] = "Agg"
    return env


def test_the_notebook_is_saved_without_outputs() -> None:
    notebook = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


def test_the_notebook_runs_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = offline_env(tmp_path)
    del env["MPLBACKEND"]  # the notebook draws inline
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("BEARER_TOKEN", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = {i: cell.outputs for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"}
    assert not [o for cell in outputs.values() for o in cell if o.output_type == "error"]
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for cell in outputs.values()
        for o in cell
    )
    assert "of 30,000 tweets were still available" in text
    assert "Kept " in text
    assert any("image/png" in o.get("data", {}) for cell in outputs.values() for o in cell)


@pytest.mark.parametrize(
    "script", ["filter_dataset.py", "tweets_and_authors.py", "client_lifecycle.py"]
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
