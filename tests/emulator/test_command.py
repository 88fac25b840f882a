"""``compliance-frames emulator`` runs the emulator in the foreground."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from compliance_frames.emulator import Emulator


def test_emulator_command_prints_what_to_use_and_serves(flow: str) -> None:
    options = [] if flow == "bytepath" else ["--flow", flow]  # byte-path is the default
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
            *options,
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
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        answer = requests.post(
            base_url.group(1) + "/2/compliance/jobs",
            json={"type": "tweets"},
            headers=auth,
            timeout=10,
        )
        assert answer.status_code == 200
        upload_url = answer.json()["data"]["upload_url"]
        if flow == "gcs":
            assert "storage on http://127.0.0.1:" in printed
            assert "X-Goog-Signature" in upload_url
        else:
            assert "byte-path flow" in printed
            assert "storage" not in printed
            assert upload_url.startswith(base_url.group(1) + "/2/compliance/jobs/")
            uploaded = requests.put(
                upload_url,
                data=b"1\n",
                headers={**auth, "Content-Type": "text/plain"},
                timeout=10,
            )
            assert uploaded.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Stopped." in out


@pytest.mark.flow("bytepath")  # the emulator only holds a port: one flow is enough
def test_emulator_command_refuses_bad_arguments_with_exit_2(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process, through main(argv), as `python -m compliance_frames` calls it (the
    # command's own process is tried by the test above).
    from compliance_frames.cli.main import main

    listed = tmp_path / "list.json"
    listed.write_text('["1"]')
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    busy = urlsplit(emulator.base_url).port
    cases = {
        ("--events", str(tmp_path / "missing.json")): "Cannot read --events",
        ("--events", str(listed)): "must hold a JSON object",
        ("--events", str(broken)): "is not valid JSON",
        ("--port", "70000"): "70000 is not a port",
        ("--port", str(busy)): "Pick another --port",
    }
    for arguments, message in cases.items():
        try:
            code = main(["emulator", *arguments])  # an exception would fail the test here
        except SystemExit as exc:  # argparse's own refusals
            code = int(exc.code or 0)
        stderr = capsys.readouterr().err
        assert code == 2, (arguments, stderr)
        assert message in stderr, (arguments, stderr)
        assert "Traceback" not in stderr


def test_a_port_in_use_raises_and_leaves_nothing_behind(emulator: Emulator) -> None:
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("compliance-emulator-*"))
    port = urlsplit(emulator.base_url).port
    with pytest.raises(OSError, match=f"Port {port} .* in use"):
        Emulator(port=port or 0)
    assert set(Path(tempfile.gettempdir()).glob("compliance-emulator-*")) == before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--flow", "s3"], "invalid choice: 's3'"),
        (["--storage-port", "9"], "--storage-port is for --flow gcs"),
        (["--max-upload-bytes", "0"], "0 is not a positive number of bytes"),
    ],
)
def test_flow_options_are_checked(
    capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    from compliance_frames.cli.main import main

    try:
        code = main(["emulator", "--port", "0", *arguments])
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err


def test_options_reach_the_emulator(flow: str) -> None:
    from compliance_frames.cli.main import build_parser
    from compliance_frames.cli.serve import _emulator, instructions

    args = build_parser().parse_args(
        ["emulator", "--port", "0", "--flow", flow, "--max-upload-bytes", "4096"]
    )
    with _emulator(args, None) as emulator:
        assert emulator.flow == flow
        assert emulator.config.max_upload_bytes == 4096
        printed = "\n".join(instructions(emulator))
        assert f"export X_API_BASE_URL={emulator.base_url}" in printed
        if flow == "gcs":
            assert f"storage on {emulator.storage_url}" in printed
        else:
            assert emulator.storage_url is None
            assert "with the bearer token" in printed
    default = build_parser().parse_args(["emulator"])
    assert (default.flow, default.max_upload_bytes) == ("bytepath", 128 * 1024 * 1024)


def test_events_files_keep_every_form_the_emulator_takes(tmp_path: Path) -> None:
    import json

    from compliance_frames.cli.serve import _events

    events = {
        "tweets": {
            "20": ["scrub_geo", "protected"],
            "21": {"reason": "deleted", "redacted_at": None},
            "22": "suspended",
        },
        "users": {"7": "deactivated"},
    }
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    assert _events(str(path)) == events
    with Emulator(events=_events(str(path)), processing_seconds=0, flow="gcs"):
        pass  # accepted as given
    with Emulator(events=_events(str(path)), processing_seconds=0):
        pass  # and by the byte-path flow (one event per ID: the first deletion)
