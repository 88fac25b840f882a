"""Run the command line against an emulator on loopback: in this process (``command``,
the ``cli`` fixture), or through the real entry point in a new interpreter (``spawn``)
for what only a process shows (the console script, signals, closed pipes, limits).

In this process, :func:`compliance_frames.cli.main` runs as the entry point would run
it: with its own standard output and error (text streams over bytes, strict on
standard output and ``backslashreplace`` on standard error as Python sets them up for
a pipe, in ``$PYTHONIOENCODING`` if given), its own environment and current folder,
all put back afterwards. The result looks like :class:`subprocess.CompletedProcess`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance_frames.cli import main
from compliance_frames.emulator import Emulator
from tests.conftest import EmulatorFactory

Run = Callable[..., subprocess.CompletedProcess[str]]

WAITING_COMMANDS = ("download", "all", "check")
"""The commands that take ``--poll-interval``: the tests poll fast."""


def environment(
    emulator: Emulator | None, cwd: Path, env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment the command line gets: this one without a token or API root of
    its own, a cache in ``cwd``, the emulator's token and root, then ``env``."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("BEARER_TOKEN", "X_API_BASE_URL")
    }
    base["COMPLIANCE_FRAMES_CACHE"] = str(cwd / "cache")
    if emulator is not None:
        base.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
    base.update(env or {})
    return base


def _arguments(args: tuple[str, ...]) -> list[str]:
    fast = ["--poll-interval", "0.1"] if args and args[0] in WAITING_COMMANDS else []
    return [*args, *fast]


class Pipe(io.RawIOBase):
    """Standard output into a pipe whose reader goes away after ``room`` bytes, as
    ``| head -c ROOM`` does: a write past them fails with ``BrokenPipeError``."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room
        self.received = io.BytesIO()
        self.silenced = False  # what follows goes to the null device, as silence() does

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.silenced:
            return len(data)
        if len(data) > self.room:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
        self.room -= len(data)
        self.received.write(data)
        return len(data)

    def getvalue(self) -> bytes:
        return self.received.getvalue()


@contextlib.contextmanager
def _process_state(
    env: dict[str, str], cwd: Path, pipe_room: int | None = None
) -> Iterator[tuple[io.BytesIO | Pipe, io.BytesIO]]:
    """This process as a command line started in ``cwd`` with ``env`` would see it, with
    standard output and error written to the two buffers yielded (standard output into
    a :class:`Pipe` if ``pipe_room`` is given); all put back after."""
    encoding = env.get("PYTHONIOENCODING", "utf-8")
    out_bytes: io.BytesIO | Pipe = io.BytesIO() if pipe_room is None else Pipe(pipe_room)
    err_bytes = io.BytesIO()
    raw: Any = out_bytes if pipe_room is None else io.BufferedWriter(out_bytes)
    stdout = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="\n")
    stderr = io.TextIOWrapper(
        err_bytes, encoding=encoding, errors="backslashreplace", newline="\n", line_buffering=True
    )
    saved_env = dict(os.environ)
    saved_streams = sys.stdout, sys.stderr, sys.stdin
    saved_cwd = os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.stdout, sys.stderr, sys.stdin = stdout, stderr, io.StringIO()
    try:
        yield out_bytes, err_bytes
    finally:
        if isinstance(out_bytes, Pipe):
            out_bytes.silenced = True  # the command has ended: nothing more to see
        for stream in (stdout, stderr):
            with contextlib.suppress(ValueError, OSError):  # OSError: a pipe gone
                stream.flush()
                stream.detach()  # the bytes stay readable once the wrapper is gone
        sys.stdout, sys.stderr, sys.stdin = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def run_in_process(
    argv: list[str], env: dict[str, str], cwd: Path, *, pipe_room: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``compliance-frames ARGV`` in this process; its exit code and output (with
    ``pipe_room``: what the reader of a pipe got before it went away)."""
    with _process_state(env, cwd, pipe_room) as (out_bytes, err_bytes):
        try:
            code = main(argv)
        except SystemExit as exc:  # main() returns its codes; a stray exit is one too
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(
        ["compliance-frames", *argv],
        code,
        out_bytes.getvalue().decode("utf-8", "replace"),
        err_bytes.getvalue().decode("utf-8", "replace"),
    )


def command(emulator: Emulator | None, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """The command line run in this process, in ``cwd``, talking to ``emulator``."""
    settings = environment(emulator, cwd, env)

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # ``timeout`` is kept for the interface of spawn(); pytest-timeout bounds a test.
        return run_in_process(_arguments(args), settings, cwd)

    return run


def spawn(emulator: Emulator | None, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """The command line through the real entry point, ``python -m compliance_frames``,
    in a new interpreter (for what only a process shows)."""
    settings = environment(emulator, cwd, env)

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "compliance_frames", *_arguments(args)],
            cwd=cwd,
            env=settings,
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


__all__ = ["Any", "Run", "command", "environment", "out", "run_in_process", "spawn"]
