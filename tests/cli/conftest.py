"""Run the real entry point in a subprocess against an emulator on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compliance_frames.emulator import Emulator
from tests.conftest import EmulatorFactory

Run = Callable[..., subprocess.CompletedProcess[str]]


def command(emulator: Emulator | None, cwd: Path, env: dict[str, str] | None = None) -> Run:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("BEARER_TOKEN", "X_API_BASE_URL")
    }
    base["COMPLIANCE_FRAMES_CACHE"] = str(cwd / "cache")
    if emulator is not None:
        base.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
    base.update(env or {})

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        fast = (
            ["--poll-interval", "0.1"] if args and args[0] in ("download", "all", "check") else []
        )
        return subprocess.run(
            [sys.executable, "-m", "compliance_frames", *args, *fast],
            cwd=cwd,
            env=base,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def cli_emulator(make_emulator: EmulatorFactory) -> Emulator:
    return make_emulator(
        processing_seconds=0.3,
        rate_window=10.0,
        events={
            "tweets": {"1265324480517361664": "deleted", "906972198136631298": "scrub_geo"},
            "users": {"101": "suspended"},
        },
    )


@pytest.fixture
def cli(cli_emulator: Emulator, tmp_path: Path) -> Run:
    return command(cli_emulator, tmp_path)


@pytest.fixture
def ids_file(tmp_path: Path) -> Path:
    path = tmp_path / "ids.txt"
    path.write_text("1265324480517361664\n906972198136631298\n20\n\n1265324480517361664\n")
    return path


def out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


__all__ = ["Any", "Run", "command", "out"]
