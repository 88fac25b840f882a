"""The package stays mypy --strict and ruff clean (the notebook too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


FOLDERS = [
    name
    for name in ("compliance_frames", "tests", "benchmarks", "examples", "notebooks")
    if (ROOT / name).is_dir()
]


def test_ruff() -> None:
    result = run("ruff", "check", *FOLDERS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    """Code, tests and the notebook's cells are formatted as ``ruff format`` would."""
    result = run("ruff", "format", "--check", *FOLDERS)
    assert result.returncode == 0, result.stdout + result.stderr
