"""``compliance-frames emulator`` runs the emulator in the foreground."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import requests


def test_emulator_command_prints_what_to_use_and_serves() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compliance_frames",
            "emulator",
            "--port",
            "0",
            "--processing-seconds",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        printed = "".join(lines)
        base_url = re.search(r"export X_API_BASE_URL=(\S+)", printed)
        token = re.search(r"export BEARER_TOKEN=(\S+)", printed)
        assert base_url, printed
        assert token, printed
        assert "Ctrl+C" in printed
        answer = requests.post(
            base_url.group(1) + "/2/compliance/jobs",
            json={"type": "tweets"},
            headers={"Authorization": f"Bearer {token.group(1)}"},
            timeout=10,
        )
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Stopped." in out
