"""Issue #11, the command line's part: outputs checked before any job, failed writes and
closed pipes without a traceback, and nothing the network or a file says can make a
command end in one (or drive the terminal)."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import requests

from compliance_frames.cli import common, tables
from compliance_frames.cli.common import UsageError
from compliance_frames.emulator import Emulator
from tests.cli.conftest import Run, command, out
from tests.conftest import EmulatorFactory

DATASET = pl.DataFrame(
    {
        "tweet_id": ["1265324480517361664", "906972198136631298", "20", "1265324480517361664"],
        "text": ["a", "b", "c", "d"],
    }
)

ROOT = os.geteuid() == 0
"""Root writes into a folder of mode 0o555 all the same: the read-only case is then
left to the others (a path under a regular file cannot be written by root either)."""


def environment(emulator: Emulator | None, cwd: Path) -> dict[str, str]:
    """The environment :func:`tests.cli.conftest.command` gives the CLI."""
    env = {k: v for k, v in os.environ.items() if k not in ("BEARER_TOKEN", "X_API_BASE_URL")}
    env["COMPLIANCE_FRAMES_CACHE"] = str(cwd / "cache")
    if emulator is not None:
        env.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
    return env


def start(
    emulator: Emulator | None, cwd: Path, *args: str, **options: object
) -> subprocess.Popen[bytes]:
    """The CLI in a subprocess whose standard output and error are pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "compliance_frames", *args],
        cwd=cwd,
        env=environment(emulator, cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,  # type: ignore[call-overload]
    )


def stop_reading(process: subprocess.Popen[bytes], lines: int) -> tuple[list[bytes], str, int]:
    """Read ``lines`` lines of the output (none: close it at once), then close the pipe as
    ``| head`` does; return the lines read, the standard error and the exit code."""
    assert process.stdout is not None
    assert process.stderr is not None
    read = [process.stdout.readline() for _ in range(lines)]
    process.stdout.close()
    stderr = process.stderr.read().decode("utf-8", "replace")
    return read, stderr, process.wait(timeout=120)


def assert_quiet(stderr: str) -> None:
    for word in ("Traceback", "BrokenPipeError", "Exception ignored", "panicked"):
        assert word not in stderr, stderr


def limited(emulator: Emulator, cwd: Path, max_file_bytes: int) -> Run:
    """The CLI with files larger than ``max_file_bytes`` refused (RLIMIT_FSIZE: a write
    past it fails with EFBIG, as one past a full disk fails with ENOSPC)."""
    launcher = (
        "import resource, runpy, sys; limit = int(sys.argv.pop(1)); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); "
        "runpy.run_module('compliance_frames', run_name='__main__', alter_sys=True)"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", launcher, str(max_file_bytes), *args],
            cwd=cwd,
            env=environment(emulator, cwd),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    return run


def api_session(emulator: Emulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emulator.bearer_token}"
    return session


def create_job(session: requests.Session, emulator: Emulator, name: str) -> str:
    answer = session.post(
        f"{emulator.base_url}/2/compliance/jobs", json={"type": "tweets", "name": name}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(0o755)


# -- 1. outputs are checked before any job runs ------------------------------------------


def unwritable_places(tmp_path: Path, suffix: str) -> Iterator[tuple[Path, str]]:
    """Output paths that cannot be written, each with the words its refusal must say."""
    folder = tmp_path / f"a-folder{suffix}"
    folder.mkdir()
    yield folder, "is a folder"
    plain = tmp_path / "plain.txt"
    plain.write_text("not a folder\n")
    yield plain / "sub" / f"out{suffix}", "is a file, not a folder"
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)
    yield fifo, "is not a regular file"
    yield tmp_path / ("x" * 300 + suffix), "too long"
    if not ROOT:
        locked = tmp_path / "locked"
        locked.mkdir()
        with read_only(locked):
            yield locked / f"out{suffix}", "is not writable"


def refusal(cli: Run, tmp_path: Path, which: str, target: Path) -> subprocess.CompletedProcess[str]:
    ids = tmp_path / "ids.txt"
    ids.write_text("20\n21\n")
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    commands = {
        "check --output": ("check", str(source), "--id-col", "tweet_id", "--output"),
        "check --filtered": ("check", str(source), "--id-col", "tweet_id", "--filtered"),
        "download": ("download", "--id", "1460323737035677698", "--results-file"),
        "all": ("all", "--type", "tweets", "--name", "n", "--ids-file", str(ids), "--results-file"),
    }
    return cli(*commands[which], str(target))


@pytest.mark.parametrize("which", ["check --output", "check --filtered", "download", "all"])
def test_outputs_that_cannot_be_written_are_refused_before_any_job(
    cli: Run, cli_emulator: Emulator, tmp_path: Path, which: str
) -> None:
    option = "--results-file" if which in ("download", "all") else which.split()[1]
    suffix = ".ndjson" if option == "--results-file" else ".csv"
    for target, words in unwritable_places(tmp_path, suffix):
        result = refusal(cli, tmp_path, which, target)
        assert result.returncode == 2, out(result)
        assert f"{option} {target}" in result.stderr  # the option and the path as given
        assert words in result.stderr
        assert "Traceback" not in result.stderr
        assert ".part" not in result.stderr  # never the temporary file's name
        assert cli_emulator.request_log("api") == []  # no job was created, nor looked up
    assert not list(tmp_path.rglob("*.part"))
    assert (tmp_path / "plain.txt").read_text() == "not a folder\n"
    assert (tmp_path / f"fifo{suffix}").is_fifo()  # not replaced by a regular file


def test_a_folder_as_an_output_suggests_a_file_in_it(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    result = refusal(cli, tmp_path, "download", tmp_path / "results")
    assert result.returncode == 2, out(result)
    expected = f"--results-file {tmp_path / 'results'} is a folder: give the path of a file"
    assert expected in result.stderr
    assert f"--results-file {tmp_path / 'results' / 'results.ndjson'}" in result.stderr


def test_missing_folders_of_an_output_are_made(cli: Run, ids_file: Path, tmp_path: Path) -> None:
    results = tmp_path / "new" / "deeper" / "all.ndjson"
    result = cli(
        "all", "--type", "tweets", "--name", "deep", "--ids-file", str(ids_file),
        "--results-file", str(results), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 0, out(result)
    assert len(results.read_text().splitlines()) == 2
    assert not list(tmp_path.rglob("*.part"))


def test_output_and_filtered_naming_one_file_are_refused(
    cli: Run, cli_emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    result = cli(
        "check", str(source), "--id-col", "tweet_id", "--output", "same.csv",
        "--filtered", str(tmp_path / "same.csv"),
    )  # fmt: skip
    assert result.returncode == 2, out(result)
    assert "--output and --filtered name the same file" in result.stderr
    assert cli_emulator.request_log("api") == []


def test_check_refuses_columns_its_output_format_cannot_hold(
    cli: Run, cli_emulator: Emulator, tmp_path: Path
) -> None:
    nested = tmp_path / "nested.ndjson"
    nested.write_text('{"tweet_id": "20", "tags": ["a", "b"]}\n{"tweet_id": "21", "tags": []}\n')
    as_csv = cli("check", str(nested), "--id-col", "tweet_id", "--output", "flagged.csv")
    assert as_csv.returncode == 2, out(as_csv)
    assert "--output flagged.csv: CSV cannot hold the column(s) 'tags'" in as_csv.stderr
    assert "Write it as .parquet" in as_csv.stderr
    binary = tmp_path / "binary.parquet"
    pl.DataFrame({"tweet_id": ["20"], "raw": [b"\x00\x01"]}).write_parquet(binary)
    as_ndjson = cli("check", str(binary), "--id-col", "tweet_id", "--filtered", "kept.ndjson")
    assert as_ndjson.returncode == 2, out(as_ndjson)
    assert "NDJSON cannot hold the column(s) 'raw'" in as_ndjson.stderr
    assert_quiet(as_ndjson.stderr)
    assert cli_emulator.request_log("api") == []
    kept = cli("check", str(nested), "--id-col", "tweet_id", "--output", "f.parquet")
    assert kept.returncode == 0, out(kept)  # Parquet holds lists


@pytest.mark.parametrize(
    ("number", "advice"),
    [
        (errno.EACCES, "Check the path and its permissions, or choose a folder you can write to."),
        (errno.EROFS, "That file system is read-only: choose another place."),
    ],
)
def test_a_folder_that_cannot_be_written_in_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, number: int, advice: str
) -> None:
    """The read-only case whoever runs the tests (root writes into a 0o555 folder)."""

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(number, os.strerror(number), str(tmp_path / ".out.csv.abcd_123.part"))

    monkeypatch.setattr(common.tempfile, "mkstemp", refuse)
    target = tmp_path / "new" / "out.csv"
    with pytest.raises(UsageError) as raised:
        common.check_writable(target, "--output")
    message = str(raised.value)
    assert message == (
        f"Cannot write --output {target}: {tmp_path} is not writable ({os.strerror(number)}). "
        f"{advice}"
    )
    assert not target.parent.exists()  # nothing is made before a job has run


# -- ... and a write that fails after the job names the user's path ------------------------


def test_a_write_that_fails_after_the_job_names_the_users_path(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = make_emulator()  # derived outcomes: many results
    run = command(emulator, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"{1460323737035677698 + n}\n" for n in range(3000)))
    made = run("create", "--type", "tweets", "--name", "big", "--json")
    job_id = json.loads(made.stdout)["id"]
    assert run("upload", "--id", job_id, "--ids-file", str(ids), "--no-progress").returncode == 0
    emulator.wait_processed(job_id)
    size = len(emulator.results(job_id))
    assert size > 4096
    results = tmp_path / "out" / "results.ndjson"
    download = limited(emulator, tmp_path, size // 2)(
        "download", "--id", job_id, "--results-file", str(results), "--no-progress"
    )
    assert download.returncode == 2, out(download)
    assert f"Could not write --results-file {results}: File too large" in download.stderr
    assert "the results can be downloaded until" in download.stderr
    assert "Traceback" not in download.stderr
    assert ".part" not in download.stderr
    assert not results.exists()
    assert not list(tmp_path.rglob("*.part"))  # the temporary file is gone too

    source = tmp_path / "wide.csv"
    pl.DataFrame({"tweet_id": ["20", "21", "22", "23"], "text": ["x" * 50_000] * 4}).write_csv(
        source
    )
    flagged = tmp_path / "flagged.csv"
    check = limited(emulator, tmp_path, 64 * 1024)(
        "check", str(source), "--id-col", "tweet_id", "--output", str(flagged), "--no-progress"
    )
    assert check.returncode == 2, out(check)
    assert f"Could not write --output {flagged}: File too large" in check.stderr
    assert "no new job is needed" in check.stderr
    assert "Traceback" not in check.stderr
    assert not flagged.exists()
    assert not list(tmp_path.rglob("*.part"))


class _FullDisk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("suffix", [".csv", ".ndjson", ".parquet"])
def test_a_full_disk_is_reported_by_the_users_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, suffix: str
) -> None:
    @contextlib.contextmanager
    def full_disk(path: object) -> Iterator[io.BufferedWriter]:
        yield io.BufferedWriter(_FullDisk())

    monkeypatch.setattr(tables, "atomic_write", full_disk)
    target = tmp_path / f"flagged{suffix}"
    frame = pl.DataFrame({"tweet_id": [str(n) for n in range(20_000)]})
    with pytest.raises(UsageError) as raised:
        tables.write_table(frame, target, "--output")
    message = str(raised.value)
    assert f"Could not write --output {target}: " in message
    assert "No space left on device" in message
    assert "Free some space there, or choose another place." in message


# -- 2. a reader that stops early ---------------------------------------------------------


@pytest.mark.flow("gcs")  # jobs of one type can be created freely there
def test_a_reader_that_stops_early_ends_the_command_quietly(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = make_emulator(rate_limit=10_000)
    session = api_session(emulator)
    first = create_job(session, emulator, "job-0")
    for n in range(1, 300):
        create_job(session, emulator, f"job-{n}")
    full = command(emulator, tmp_path)("list", "--json")
    assert len(full.stdout) > 256 * 1024  # far more than a pipe holds
    for args, lines in (  # more cases in this process: tests/cli/test_help.py
        (("list", "--json"), 1),  # | head -1
        (("get", first), 0),  # closed before anything is written
    ):
        read, stderr, code = stop_reading(start(emulator, tmp_path, *args), lines)
        assert code == 0, (args, stderr)
        assert_quiet(stderr)
        assert all(read), args


def test_check_writes_its_files_when_nobody_reads_its_summary(
    cli_emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "tweets.csv"
    DATASET.write_csv(source)
    flagged, kept = tmp_path / "flagged.csv", tmp_path / "kept.csv"
    process = start(
        cli_emulator, tmp_path, "check", str(source), "--id-col", "tweet_id",
        "--output", str(flagged), "--filtered", str(kept), "--no-progress",
        "--poll-interval", "0.1",
    )  # fmt: skip
    _, stderr, code = stop_reading(process, 0)
    assert code == 0, stderr
    assert_quiet(stderr)
    assert pl.read_csv(flagged)["compliance_deleted"].to_list() == [True, False, False, True]
    assert pl.read_csv(kept).height == 2


# -- 3. no traceback for an input, file or network problem -------------------------------


def test_a_dataset_that_is_not_utf8_is_an_input_error(cli: Run, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("tweet_id,text\n20,café\n21,naïve\n".encode("latin-1"))
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(b'{"tweet_id": "20", "text": "\xff\xfe"}\n')
    for source in (latin, broken):
        result = cli("check", str(source), "--id-col", "tweet_id", "--output", "out.csv")
        assert result.returncode == 2, out(result)
        assert f"Cannot read {source}" in result.stderr
        assert "it is not UTF-8 text" in result.stderr
        assert "Save it as UTF-8" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_ids_file_that_is_not_utf8_is_an_input_error(cli: Run, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_bytes("20\n21\n".encode("utf-16"))
    result = cli(
        "all", "--type", "tweets", "--name", "u16", "--ids-file", str(ids),
        "--results-file", "r.ndjson",
    )  # fmt: skip
    assert result.returncode == 2, out(result)
    assert "Traceback" not in result.stderr


def test_a_cache_folder_that_is_a_file_is_named(
    cli_emulator: Emulator, ids_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    run = command(cli_emulator, tmp_path, {"COMPLIANCE_FRAMES_CACHE": str(blocker)})
    result = run(
        "all", "--type", "tweets", "--name", "cache", "--ids-file", str(ids_file),
        "--results-file", "r.ndjson",
    )  # fmt: skip
    assert result.returncode == 2, out(result)
    assert str(blocker) in result.stderr
    assert "Traceback" not in result.stderr
    assert "Client(" not in result.stderr  # in the command line's terms


def test_a_dataset_path_that_is_a_folder_says_so(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    result = cli("check", str(folder), "--id-col", "tweet_id")
    assert result.returncode == 2, out(result)
    assert f"{folder} is a folder: give the dataset file" in result.stderr


@pytest.mark.flow("gcs")
def test_job_names_from_the_network_cannot_drive_the_terminal(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = make_emulator()
    session = api_session(emulator)
    evil = create_job(session, emulator, "evil\x1b[2J\x1b[31m\rforged\n  1 tweets complete")
    listed = command(emulator, tmp_path)("list")
    assert listed.returncode == 0, out(listed)
    assert "\x1b" not in listed.stdout
    assert "\r" not in listed.stdout
    assert len(listed.stdout.splitlines()) == 2  # the header and the one job
    assert "evil\\x1b[2J\\x1b[31m\\rforged\\n  1 tweets complete" in listed.stdout
    shown = command(emulator, tmp_path)("get", evil)
    assert "\x1b" not in shown.stdout
    create_job(session, emulator, "café ☕")
    ascii_only = command(emulator, tmp_path, {"PYTHONIOENCODING": "ascii"})("list")
    assert ascii_only.returncode == 0, out(ascii_only)
    assert "caf\\xe9 \\u2615" in ascii_only.stdout


def test_ctrl_c_while_waiting_exits_130_without_a_traceback(
    cli: Run, cli_emulator: Emulator, ids_file: Path, tmp_path: Path
) -> None:
    made = cli("create", "--type", "tweets", "--name", "slow", "--json")
    job_id = json.loads(made.stdout)["id"]
    cli_emulator.stall_job(job_id)
    assert (
        cli("upload", "--id", job_id, "--ids-file", str(ids_file), "--no-progress").returncode == 0
    )
    process = start(
        cli_emulator, tmp_path, "download", "--id", job_id, "--results-file", "r.ndjson",
        "--poll-interval", "0.1",
    )  # fmt: skip
    assert process.stderr is not None
    seen = b""
    deadline = time.monotonic() + 60
    while b"Waiting" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        if ready:
            seen += os.read(process.stderr.fileno(), 4096)
    assert b"Waiting" in seen, seen
    process.send_signal(signal.SIGINT)
    _, rest, code = stop_reading(process, 0)
    stderr = seen.decode("utf-8", "replace") + rest
    assert code == 130, stderr
    assert "Interrupted. Running the same command again picks up where it stopped." in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "r.ndjson").exists()


def test_a_demo_folder_that_cannot_be_written_is_refused_at_once(tmp_path: Path) -> None:
    run = command(None, tmp_path)
    plain = tmp_path / "plain.txt"
    plain.write_text("")
    for folder, words in ((plain, "is a file: give a folder"), (plain / "out", "is a file, not")):
        result = run("demo", "--output-dir", str(folder))
        assert result.returncode == 2, out(result)
        assert f"--output-dir {folder}" in result.stderr
        assert words in result.stderr
        assert "Traceback" not in result.stderr
        assert "Waiting" not in result.stderr  # refused before the demo's jobs
