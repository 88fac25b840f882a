"""Issue #12, the command line's front door: help that describes every option with its
default and shows examples, ``--version``, options only where they act, exit codes,
a fast ``--help`` that imports no dataframe library, and the real entry point."""

from __future__ import annotations

import argparse
import ast
import json
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

from compliance_frames._version import __version__
from compliance_frames.cli import serve
from compliance_frames.cli.main import build_parser
from compliance_frames.emulator import Emulator, config
from tests.cli.conftest import Run, command, environment, out, run_in_process, spawn

HEAVY = ("pandas", "polars", "numpy", "narwhals", "pyarrow")

WAITING = {"download", "all", "check", "clean-jsonl"}
"""The commands that wait for X: the only ones with --poll-interval."""

DRAWING = {"upload", "download", "all", "check", "clean-jsonl", "demo"}
"""The commands that draw progress bars: the only ones with --no-progress."""


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices)


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {name for action in parser._actions for name in action.option_strings}


def test_every_option_of_every_command_is_described() -> None:
    for name, parser in {"": build_parser(), **subcommands()}.items():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, (name, action.option_strings or action.dest)
            assert action.help != argparse.SUPPRESS, (name, action.dest)


def test_every_command_shows_examples_of_itself() -> None:
    for name, parser in subcommands().items():
        assert parser.epilog is not None, name
        assert parser.epilog.startswith("examples:\n"), name
        lines = parser.epilog.splitlines()[1:]
        assert lines, name
        for line in lines:
            assert line.startswith("  "), (name, line)  # kept as written by the formatter
        assert any(f"compliance-frames {name}" in line for line in lines), name


def test_options_are_offered_only_where_they_act() -> None:
    for name, parser in subcommands().items():
        offered = options(parser)
        assert ("--poll-interval" in offered) is (name in WAITING), name
        assert ("--no-progress" in offered) is (name in DRAWING), name
        api = name not in ("emulator", "demo", "audit")
        assert ("--base-url" in offered) is api, name
        assert ("--max-retries" in offered) is api, name


def test_help_keeps_the_layout_of_examples_and_says_the_defaults(tmp_path: Path) -> None:
    run = command(None, tmp_path)
    shown = run("check", "--help")
    assert shown.returncode == 0, out(shown)
    text = " ".join(shown.stdout.split())  # the help is wrapped to the terminal
    for default in (
        "(default: tweets)",
        "(default: keep)",
        "(default: raise)",
        "(default: 5)",  # --poll-interval and --max-retries
        "default: bars on standard error",
    ):
        assert default in text, default
    assert "\nexamples:\n  compliance-frames check tweets.csv --id-col tweet_id" in shown.stdout
    assert "(default: None)" not in shown.stdout
    assert "(default: False)" not in shown.stdout
    top = run("--help")
    assert top.returncode == 0
    assert "\nexit codes:\n  0    success\n  1    the job failed or expired\n" in top.stdout
    assert "\n  130  interrupted (Ctrl-C)" in top.stdout
    assert "\nexamples:\n  compliance-frames demo\n" in top.stdout
    assert "--version" in top.stdout


def test_version(tmp_path: Path) -> None:
    result = command(None, tmp_path)("--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"compliance-frames {__version__}\n",
        "",
    )


def test_main_returns_the_exit_code_of_help_and_of_usage_errors(tmp_path: Path) -> None:
    run = command(None, tmp_path)
    assert run("list", "--help").returncode == 0
    wrong = run("list", "--poll-interval", "1")  # list does not wait
    assert wrong.returncode == 2
    assert "unrecognized arguments: --poll-interval 1" in wrong.stderr
    assert run().returncode == 2  # no command
    assert run("frobnicate").returncode == 2


def test_help_into_a_closed_pipe_exits_0(tmp_path: Path) -> None:
    for room in (0, 40):
        result = run_in_process(["check", "--help"], environment(None, tmp_path), tmp_path,
                                pipe_room=room)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert len(result.stdout) <= room


@pytest.mark.flow("gcs")  # jobs of one type can be created freely there
def test_a_listing_into_a_closed_pipe_exits_0(
    cli: Run, cli_emulator: Emulator, tmp_path: Path
) -> None:
    for n in range(15):
        assert cli("create", "--type", "tweets", "--name", f"job-{n}", "--json").returncode == 0
    env = environment(cli_emulator, tmp_path)
    for argv, room in ((["list", "--json"], 100), (["list"], 0), (["list"], 200)):
        result = run_in_process(argv, env, tmp_path, pipe_room=room)
        assert result.returncode == 0, (argv, result.stderr)
        assert result.stderr == "", argv
        assert len(result.stdout.encode()) <= room
    complete = cli("list", "--json")
    assert len(json.loads(complete.stdout)) == 15  # the runs above changed nothing


def test_an_output_that_cannot_be_written_exits_2(
    cli: Run, cli_emulator: Emulator, ids_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = cli(
        "all", "--type", "tweets", "--name", "n", "--ids-file", str(ids_file),
        "--results-file", str(blocker / "results.ndjson"), "--no-progress",
    )  # fmt: skip
    assert result.returncode == 2, out(result)
    assert "is a file, not a folder" in result.stderr
    assert cli_emulator.request_log("api") == []


# -- startup: what --help imports ------------------------------------------------------

PROBE = """
import sys
{prelude}
from compliance_frames.cli import main
for argv in (["--help"], ["check", "--help"], ["--version"]):
    try:
        main(argv)
    except SystemExit:
        pass
print("IMPORTED", sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""

WITHOUT_PACKAGE_INIT = """
import types
package = types.ModuleType("compliance_frames")
package.__path__ = [{folder!r}]
sys.modules["compliance_frames"] = package
"""
"""The package ``compliance_frames`` without its ``__init__``: the command line's own
modules alone."""


def imported_by_help(prelude: str = "") -> list[str]:
    code = PROBE.format(prelude=prelude, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("IMPORTED"))
    return list(ast.literal_eval(line.removeprefix("IMPORTED ")))


def test_the_command_line_modules_import_no_dataframe_library_for_help() -> None:
    import compliance_frames

    folder = str(Path(compliance_frames.__file__).parent)
    assert imported_by_help(WITHOUT_PACKAGE_INIT.format(folder=folder)) == []


def test_help_and_version_import_no_dataframe_library() -> None:
    assert imported_by_help() == []


# -- the real entry point, in a process of its own --------------------------------------


def test_the_entry_point_answers_help_and_version(tmp_path: Path) -> None:
    run = spawn(None, tmp_path)
    shown = run("--help")
    assert shown.returncode == 0, out(shown)
    assert shown.stdout.startswith("usage: compliance-frames")
    version = run("--version")
    assert (version.returncode, version.stdout) == (0, f"compliance-frames {__version__}\n")
    refused = run("check")
    assert refused.returncode == 2
    assert "the following arguments are required: DATASET, --id-col" in refused.stderr


@pytest.mark.flow("bytepath")  # one is enough: the flows are the library's, not the entry's
def test_the_entry_point_checks_a_dataset(cli_emulator: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "tweets.csv"
    source.write_text("tweet_id,text\n1265324480517361664,a\n20,b\n")
    result = spawn(cli_emulator, tmp_path)(
        "check", str(source), "--id-col", "tweet_id", "--filtered", "kept.csv"
    )
    assert result.returncode == 0, out(result)
    assert "% of 2 posts were still available" in result.stdout
    assert (tmp_path / "kept.csv").read_text().splitlines() == ["tweet_id,text", "20,b"]
    assert "Traceback" not in result.stderr


def test_main_can_run_again_in_one_process(cli: Run, flow: str) -> None:
    """What main() changes of the process is put back: a warning is shown every time."""
    shown, formatted = warnings.showwarning, warnings.formatwarning
    for job_type in ("tweets", "users"):
        made = cli("create", "--type", job_type, "--name", "again", "--resumable", "--json")
        assert made.returncode == 0, out(made)
        warned = made.stderr.startswith("compliance-frames: warning: X refused a resumable upload")
        assert warned is (flow == "bytepath")
    assert (warnings.showwarning, warnings.formatwarning) == (shown, formatted)


def test_the_emulator_command_puts_the_signal_handlers_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    assert serve.run(build_parser().parse_args(["emulator", "--port", "0"]), stop) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert "Stopped." in capsys.readouterr().out


def test_the_emulator_options_follow_the_emulator() -> None:
    """Written in the command's module so that --help does not import the emulator."""
    assert serve.FLOWS == config.FLOWS
    assert serve.MAX_UPLOAD_BYTES == config.MAX_UPLOAD_BYTES
