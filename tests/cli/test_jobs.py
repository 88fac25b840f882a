"""create, list, get, cancel, upload, download and all, run as the entry point runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compliance_frames.emulator import Emulator
from tests.cli.conftest import Run, command, out


def created_id(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, out(result)
    return str(json.loads(result.stdout)["id"])


def test_create_prints_the_job_and_the_next_step(cli: Run, flow: str) -> None:
    result = cli("create", "--type", "tweets", "--name", "my-job")
    assert result.returncode == 0, out(result)
    assert "name:           my-job" in result.stdout
    assert "status:         created" in result.stdout
    assert "compliance-frames upload --id" in result.stdout
    made = cli("create", "--type", "users", "--name", "other", "--resumable", "--json")
    as_json = json.loads(made.stdout)
    resumable = flow == "gcs"  # X's 2026 service has no resumable uploads: refused, said once
    assert (as_json["type"], as_json["resumable"], as_json["status"]) == (
        "users",
        resumable,
        "created",
    )
    if not resumable:
        assert made.stderr.startswith("compliance-frames: warning: X refused a resumable upload")
        assert "Leave out --resumable" in made.stderr  # the option, not resumable=True


def test_list_both_types_and_filters(cli: Run, cli_emulator: Emulator) -> None:
    tweets = created_id(cli("create", "--type", "tweets", "--name", "a", "--json"))
    users = created_id(cli("create", "--type", "users", "--name", "b", "--json"))
    listed = cli("list")
    assert listed.returncode == 0
    assert listed.stdout.index(users) < listed.stdout.index(tweets)  # newest first
    assert json.loads(cli("list", "--type", "tweets", "--json").stdout)[0]["id"] == tweets
    assert [j["id"] for j in json.loads(cli("list", "--name", "b", "--json").stdout)] == [users]
    assert json.loads(cli("list", "--status", "complete", "--json").stdout) == []
    empty = cli("list", "--status", "failed")
    assert (empty.returncode, empty.stdout.strip()) == (0, "No failed jobs.")


def test_get_by_id_and_by_name(cli: Run) -> None:
    job_id = created_id(cli("create", "--type", "tweets", "--name", "unique", "--json"))
    assert job_id in cli("get", job_id).stdout
    by_name = cli("get", "--name", "unique", "--json")
    assert json.loads(by_name.stdout)["id"] == job_id


def test_a_name_matching_several_jobs_lists_them(cli: Run) -> None:
    first = created_id(cli("create", "--type", "tweets", "--name", "twice", "--json"))
    again = cli("create", "--type", "users", "--name", "twice", "--json")
    second = created_id(again)
    note = f"1 other job(s) are named 'twice' ({first}); refer to this one with --id"
    assert note in again.stderr
    result = cli("get", "--name", "twice")
    assert result.returncode == 2
    assert "2 jobs are named 'twice'" in result.stderr
    assert first in result.stderr
    assert second in result.stderr
    assert "Choose one by its id" in result.stderr  # get takes it as an argument, not --id
    narrowed = cli("get", "--name", "twice", "--type", "users", "--json")
    assert json.loads(narrowed.stdout)["id"] == second


def test_a_name_matching_no_job_lists_the_recent_ones(cli: Run) -> None:
    cli("create", "--type", "tweets", "--name", "present")
    result = cli("upload", "--name", "absent", "--ids-file", "ids.txt")
    assert result.returncode == 2
    assert "No job is named 'absent'" in result.stderr
    assert "present" in result.stderr


def test_upload_then_download(cli: Run, ids_file: Path, tmp_path: Path) -> None:
    job_id = created_id(cli("create", "--type", "tweets", "--name", "steps", "--json"))
    uploaded = cli("upload", "--name", "steps", "--ids-file", str(ids_file), "--no-progress")
    assert uploaded.returncode == 0, out(uploaded)
    assert "Uploaded 3 distinct IDs" in uploaded.stdout
    results = tmp_path / "results.ndjson"
    downloaded = cli("download", "--id", job_id, "--results-file", str(results))
    assert downloaded.returncode == 0, out(downloaded)
    assert "Wrote 2 records (1 deleted, 1 scrub_geo)" in downloaded.stdout  # ties by name
    assert "Downloading" in downloaded.stderr  # the progress bar
    assert sorted(json.loads(line)["id"] for line in results.read_text().splitlines()) == [
        "1265324480517361664",
        "906972198136631298",
    ]


def test_download_no_wait_on_an_unfinished_job(
    cli: Run, cli_emulator: Emulator, ids_file: Path
) -> None:
    job_id = created_id(cli("create", "--type", "tweets", "--name", "slow", "--json"))
    cli_emulator.stall_job(job_id)
    cli("upload", "--id", job_id, "--ids-file", str(ids_file), "--no-progress")
    result = cli("download", "--id", job_id, "--results-file", "r.ndjson", "--no-wait")
    assert result.returncode == 2
    assert "is in_progress, not complete" in result.stdout
    assert not Path("r.ndjson").exists()


def test_all_in_one_and_again(
    cli: Run, cli_emulator: Emulator, ids_file: Path, tmp_path: Path
) -> None:
    results = tmp_path / "all.ndjson"
    args = (
        "all",
        "--type",
        "tweets",
        "--name",
        "everything",
        "--ids-file",
        str(ids_file),
        "--results-file",
        str(results),
    )
    first = cli(*args)
    assert first.returncode == 0, out(first)
    assert "wrote 2 records (1 deleted, 1 scrub_geo)" in first.stdout
    assert "3 distinct IDs read" in first.stderr
    second = cli(*args, "--no-progress")
    assert second.returncode == 0
    assert len(cli_emulator.jobs) == 1  # the second run found the first job again


def test_a_failed_job_exits_1(cli: Run, cli_emulator: Emulator, ids_file: Path) -> None:
    cli_emulator.fail_next_job("The upload could not be processed.")
    result = cli(
        "all",
        "--type",
        "users",
        "--name",
        "doomed",
        "--ids-file",
        str(ids_file),
        "--results-file",
        "r.ndjson",
        "--no-progress",
    )
    assert result.returncode == 1
    assert "failed: The upload could not be processed." in result.stderr
    got = cli("get", "--name", "doomed")
    assert got.returncode == 1
    assert "error:          The upload could not be processed." in got.stdout


def test_invalid_ids_exit_2_and_name_the_lines(cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1\nabc\n3\n1.5e18\n")
    result = cli(
        "all",
        "--type",
        "tweets",
        "--name",
        "x",
        "--ids-file",
        str(bad),
        "--results-file",
        "r.ndjson",
    )
    assert result.returncode == 2
    assert "'abc' at line 2" in result.stderr
    assert "'1.5e18' at line 4" in result.stderr


def test_usage_errors_exit_2(cli: Run) -> None:
    assert cli("create", "--type", "videos", "--name", "x").returncode == 2  # argparse
    assert cli("get").returncode == 2
    missing = cli("upload", "--id", "1", "--ids-file", "nope.txt")
    assert missing.returncode == 2


def test_no_token_and_a_wrong_token(cli_emulator: Emulator, tmp_path: Path) -> None:
    no_token = command(None, tmp_path, {"X_API_BASE_URL": cli_emulator.base_url})("list")
    assert no_token.returncode == 2
    assert "BEARER_TOKEN" in no_token.stderr
    wrong = command(cli_emulator, tmp_path, {"BEARER_TOKEN": "wrong-token"})("list")
    assert wrong.returncode == 2
    assert "401 Unauthorized" in wrong.stderr
    assert "wrong-token" not in out(wrong)


def test_an_unreachable_server_exits_3(tmp_path: Path) -> None:
    run = command(None, tmp_path, {"BEARER_TOKEN": "t", "X_API_BASE_URL": "http://127.0.0.1:9"})
    result = run("list", "--max-retries", "1")
    assert result.returncode == 3
    assert "is it running" in result.stderr


def test_the_console_script_is_installed() -> None:
    script = shutil.which("compliance-frames", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "exit codes:" in result.stdout


def test_files_that_cannot_be_read_or_written_exit_2(
    cli: Run, ids_file: Path, tmp_path: Path
) -> None:
    job_id = created_id(cli("create", "--type", "tweets", "--name", "files", "--json"))
    for ids in ("missing.txt", str(tmp_path)):
        result = cli("upload", "--id", job_id, "--ids-file", ids)
        assert result.returncode == 2, out(result)
        assert "Traceback" not in result.stderr
        assert ids in result.stderr
        assert "Check the path" in result.stderr
    cli("upload", "--id", job_id, "--ids-file", str(ids_file), "--no-progress")
    into_folder = cli("download", "--id", job_id, "--results-file", str(tmp_path))
    assert into_folder.returncode == 2, out(into_folder)
    assert "Traceback" not in into_folder.stderr
    missing_all = cli(
        "all", "--type", "users", "--name", "x", "--ids-file", "nope.txt", "--results-file", "r"
    )
    assert missing_all.returncode == 2
    assert "nope.txt" in missing_all.stderr


def test_a_job_past_its_upload_is_a_usage_error_with_the_next_step(
    cli: Run, cli_emulator: Emulator, ids_file: Path
) -> None:
    job_id = created_id(cli("create", "--type", "tweets", "--name", "once", "--json"))
    not_yet = cli("download", "--id", job_id, "--results-file", "r.ndjson")  # at once, no wait
    assert not_yet.returncode == 2
    assert "has no IDs yet" in not_yet.stderr
    assert "compliance-frames upload --id" in not_yet.stderr
    cli_emulator.stall_job(job_id)
    cli("upload", "--id", job_id, "--ids-file", str(ids_file), "--no-progress")
    again = cli("upload", "--id", job_id, "--ids-file", str(ids_file))
    assert again.returncode == 2
    assert "is in_progress: a job takes IDs only once" in again.stderr
    assert "compliance-frames download --id" in again.stderr


def test_expired_urls_exit_1_and_say_to_start_again(
    make_emulator, ids_file: Path, tmp_path: Path
) -> None:
    emulator = make_emulator(upload_window=4.0, download_window=4.0)
    cli = command(emulator, tmp_path)
    late = created_id(cli("create", "--type", "tweets", "--name", "late", "--json"))
    done = created_id(cli("create", "--type", "users", "--name", "done", "--json"))
    assert cli("upload", "--id", done, "--ids-file", str(ids_file), "--no-progress").returncode == 0
    time.sleep(4.5)  # the emulator's windows are real seconds here
    upload = cli("upload", "--id", late, "--ids-file", str(ids_file))
    assert upload.returncode == 1, out(upload)
    assert "Create a new job and upload again" in upload.stderr
    shown = cli("get", done)
    assert shown.returncode == 0, out(shown)
    assert "no longer" in shown.stdout
    assert "compliance-frames download" not in shown.stdout
    download = cli("download", "--id", done, "--results-file", "r.ndjson")
    assert download.returncode == 1, out(download)
    assert "expired" in download.stderr


def test_base_url_option_before_or_after_the_command(
    cli_emulator: Emulator, tmp_path: Path
) -> None:
    run = command(None, tmp_path, {"BEARER_TOKEN": cli_emulator.bearer_token})
    created = run(
        "create", "--type", "tweets", "--name", "flag", "--base-url", cli_emulator.base_url
    )
    assert created.returncode == 0, out(created)
    listed = run("--base-url", cli_emulator.base_url, "list", "--json")
    assert listed.returncode == 0, out(listed)
    assert [job["name"] for job in json.loads(listed.stdout)] == ["flag"]


@pytest.mark.flow("bytepath")  # cancel is of the 2026 service
def test_cancel_by_id_and_by_name(cli: Run, cli_emulator: Emulator) -> None:
    job_id = created_id(cli("create", "--type", "tweets", "--name", "stop-me", "--json"))
    result = cli("cancel", "--name", "stop-me")
    assert result.returncode == 0, out(result)
    assert "status:         failed" in result.stdout
    assert "a new tweets job can be created now" in result.stdout
    assert cli_emulator.job(job_id)["status"] == "failed"
    again = cli("cancel", job_id)
    assert again.returncode == 2
    assert f"job {job_id} ('stop-me', tweets): it has already finished (failed)" in again.stderr
    assert "Traceback" not in out(again)
    # The name now belongs to a finished job and a new one: --name means the unfinished one.
    other = created_id(cli("create", "--type", "tweets", "--name", "stop-me", "--json"))
    as_json = cli("cancel", "--name", "stop-me", "--json")
    assert json.loads(as_json.stdout)["id"] == other
    missing = cli("cancel", "--name", "no-such-job")
    assert missing.returncode == 2
    assert "No job is named 'no-such-job'" in missing.stderr
