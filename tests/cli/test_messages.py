"""Every error in the library's words and in the command line's.

A static walk reads the message text of every error (and warning) the library and the
command line raise, and checks it names no Python call or argument: advice belongs in a
``hint=``, which each front end renders in its own terms. A dynamic walk runs the
command line on as many error paths as the emulator can provoke and checks what a shell
user reads: one error line, the documented exit code, no Python, and only options that
the subcommand has.
"""

from __future__ import annotations

import argparse
import ast
import functools
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client
from compliance_frames.cli import main
from compliance_frames.cli.main import build_parser
from compliance_frames.emulator import Emulator
from compliance_frames.errors import ComplianceError
from tests.conftest import EmulatorFactory

PACKAGE = Path(compliance_frames.__file__).parent

PYTHON = re.compile(
    r"\b[A-Za-z_][\w.]*\((?!s\))"  # a call: list_jobs(, Client( (not "column(s)")
    r"|\b\w+="  # an argument: errors=, overwrite=
    r"|\bClient\b|\bEmulator\b"
    r"|\b(?:pd|pl|df)\."  # pandas, polars, a frame
)
"""Python in a message: what a shell user cannot type."""

# -- the static walk ------------------------------------------------------------------------

PENDING: dict[str, str] = {}
"""Modules whose messages another branch converts: expected to fail until it is merged
(strict: an unexpected pass says that the entry can go)."""


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if "emulator" not in p.relative_to(PACKAGE).parts
    )


@functools.cache
def _error_classes() -> set[str]:
    """The names of ComplianceError's subclasses (and of ComplianceWarning) in the package."""
    names = {"ComplianceError", "ComplianceWarning"}
    bases: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, (ast.Name, ast.Attribute))
                )
    grown = True
    while grown:
        more = {name for name, parents in bases.items() if parents & names} - names
        names |= more
        grown = bool(more)
    return names


@functools.cache
def _functions() -> dict[str, list[ast.FunctionDef]]:
    """Every function of the package by name: messages built by a helper are read there
    (but those of a pending module, which its own test reports)."""
    found: dict[str, list[ast.FunctionDef]] = {}
    for path in _modules():
        if path.relative_to(PACKAGE).as_posix() in PENDING:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                found.setdefault(node.name, []).append(node)
    return found


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


@dataclass
class _Walk:
    errors: set[str] = field(default_factory=lambda: set(_error_classes()))
    functions: dict[str, list[ast.FunctionDef]] = field(default_factory=lambda: _functions())

    def texts(self, expr: ast.AST, scope: ast.AST, depth: int = 0) -> Iterator[str]:
        """The text of a message expression: its literals and f-string parts, through the
        local variables and the helpers (of this package) it is built from."""
        if depth > 3:
            return
        for node in ast.walk(expr):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value
            elif isinstance(node, ast.Name):
                yield from self._assigned(node.id, scope, depth)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                for function in self.functions.get(node.func.id, []):
                    for inner in ast.walk(function):
                        if isinstance(inner, ast.Return) and inner.value is not None:
                            yield from self.texts(inner.value, function, depth + 1)

    def _assigned(self, name: str, scope: ast.AST, depth: int) -> Iterator[str]:
        for node in ast.walk(scope):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            if node is not scope and any(isinstance(t, ast.Name) and t.id == name for t in targets):
                value = getattr(node, "value", None)
                if value is not None:
                    yield from self.texts(value, ast.Module(body=[], type_ignores=[]), depth + 1)

    def messages(self, path: Path) -> Iterator[tuple[int, str]]:
        """(line, text) of every message given to an error class or to warnings.warn."""
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes: list[ast.AST] = [tree]
        scopes += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        seen: set[int] = set()
        for scope in reversed(scopes):  # innermost first: local variables are found there
            for node in ast.walk(scope):
                name = _called(node)
                if not isinstance(node, ast.Call) or id(node) in seen:
                    continue
                if name in self.errors or name == "warn":
                    seen.add(id(node))
                    message = node.args[0] if node.args else None
                    if message is None or (name == "warn" and _called(message) in self.errors):
                        continue  # warnings.warn(SomeWarning(...)): read as its own call
                    for text in self.texts(message, scope):
                        yield node.lineno, text


def _module_cases() -> list[Any]:
    cases = []
    for path in _modules():
        name = path.relative_to(PACKAGE).as_posix()
        marks = [pytest.mark.xfail(strict=True, reason=PENDING[name])] if name in PENDING else []
        cases.append(pytest.param(path, id=name, marks=marks))
    return cases


@pytest.mark.parametrize("path", _module_cases())
def test_no_message_text_names_python(path: Path) -> None:
    """Advice in Python goes in a hint=, which the command line renders with its options."""
    walk = _Walk()
    python = [f"line {line}: {text!r}" for line, text in walk.messages(path) if PYTHON.search(text)]
    assert not python, "Python in message text (put the advice in a hint=):\n" + "\n".join(python)


def test_the_static_walk_finds_python_in_messages(tmp_path: Path) -> None:
    """The walk itself: a message that advises Python is found, however it is built."""
    walk = _Walk(errors={"InputError"}, functions={})
    source = tmp_path / "sample.py"
    source.write_text(
        "def f(x):\n"
        "    message = 'The frame has it.'\n"
        "    message += f' Pass overwrite=True {x}.'\n"
        "    raise InputError(message, hint=Hint(Argument('prefix')))\n"
        "def g():\n"
        "    raise InputError('Column(s) of a frame, an http(s) URL.', hint=Hint('x='))\n"
    )
    found = [text for _, text in walk.messages(source) if PYTHON.search(text)]
    assert found == [" Pass overwrite=True "]


# -- the dynamic walk -----------------------------------------------------------------------

EXIT_JOB, EXIT_USAGE, EXIT_SERVICE = 1, 2, 3

TWEETS = ["1265324480517361664", "906972198136631298", "20"]


@dataclass
class Setup:
    """What a case may use to put the emulator and the files in the state it needs."""

    emulator: Emulator
    folder: Path
    monkeypatch: pytest.MonkeyPatch

    def client(self) -> Client:
        """A client with the command line's cache: its jobs are "ours" to the command line."""
        return Client(
            self.emulator.bearer_token,
            self.emulator.base_url,
            results_dir=self.folder / "cache",
            poll_interval=0.05,
        )

    def ids_file(self, *lines: str) -> str:
        path = self.folder / "ids.txt"
        path.write_text("".join(f"{line}\n" for line in lines or TWEETS))
        return str(path)

    def dataset(self, name: str = "tweets.csv", **columns: list[Any]) -> str:
        path = self.folder / name
        frame = pl.DataFrame(columns or {"tweet_id": TWEETS, "author": ["1", "2", "3"]})
        if name.endswith(".parquet"):
            frame.write_parquet(path)
        else:
            frame.write_csv(path)
        return str(path)

    def finished_job(self) -> str:
        client = self.client()
        job = client.create_job("tweets", "done")
        client.upload_ids(job, [20, 7])
        return client.wait(job, progress=False).id


@dataclass
class Case:
    argv: list[str]
    code: int
    says: str
    """A piece of the message: the case reached the error path it is about."""


def _no_token(s: Setup) -> Case:
    s.monkeypatch.delenv("BEARER_TOKEN")
    return Case(["list"], EXIT_USAGE, "No bearer token")


def _bad_base_url(s: Setup) -> Case:
    return Case(["list", "--base-url", "ftp://x"], EXIT_USAGE, "--base-url https://api.x.com")


def _plain_http(s: Setup) -> Case:
    return Case(["list", "--base-url", "http://example.com"], EXIT_USAGE, "plain http")


def _wrong_token(s: Setup) -> Case:
    s.monkeypatch.setenv("BEARER_TOKEN", "not-the-token")
    return Case(["list"], EXIT_USAGE, "Check BEARER_TOKEN: it must be")


def _user_token(s: Setup) -> Case:
    s.monkeypatch.setenv("BEARER_TOKEN", s.emulator.user_token)
    return Case(["list"], EXIT_USAGE, "app-only bearer token")


def _get_unknown(s: Setup) -> Case:
    return Case(["get", "999"], EXIT_USAGE, "List your jobs with `compliance-frames list`.")


def _get_not_an_id(s: Setup) -> Case:
    return Case(["get", "abc"], EXIT_USAGE, "`compliance-frames list --name NAME`")


def _get_unknown_name(s: Setup) -> Case:
    return Case(["get", "--name", "nope"], EXIT_USAGE, "No job is named 'nope'")


def _get_ambiguous_name(s: Setup) -> Case:
    client = s.client()
    client.create_job("users", "twice")
    client.create_job("tweets", "twice")
    return Case(["get", "--name", "twice"], EXIT_USAGE, "Choose one by its id")


def _download_unknown(s: Setup) -> Case:
    results = str(s.folder / "r.ndjson")
    return Case(
        ["download", "--id", "999", "--results-file", results], EXIT_USAGE, "No compliance job"
    )


def _download_into_a_folder(s: Setup) -> Case:
    return Case(
        ["download", "--id", "1", "--results-file", str(s.folder)], EXIT_USAGE, "is a folder"
    )


def _download_created(s: Setup) -> Case:
    job = s.client().create_job("tweets", "empty")
    results = str(s.folder / "r.ndjson")
    return Case(["download", "--id", job.id, "--results-file", results], EXIT_USAGE, "no IDs yet")


def _upload_finished(s: Setup) -> Case:
    job_id = s.finished_job()
    return Case(
        ["upload", "--id", job_id, "--ids-file", s.ids_file()], EXIT_USAGE, "takes IDs only once"
    )


def _upload_too_large(s: Setup) -> Case:
    job = s.client().create_job("tweets", "big")
    return Case(
        ["upload", "--id", job.id, "--ids-file", s.ids_file(*[str(n) for n in range(1, 200)])],
        EXIT_USAGE,
        "`compliance-frames all` and `compliance-frames check` do this by themselves",
    )


def _upload_expired(s: Setup) -> Case:
    job = s.client().create_job("tweets", "late")
    time.sleep(1.2)
    return Case(
        ["upload", "--id", job.id, "--ids-file", s.ids_file()], EXIT_JOB, "Create a new job"
    )


def _cancel_finished(s: Setup) -> Case:
    return Case(["cancel", s.finished_job()], EXIT_USAGE, "already finished")


def _conflict(s: Setup) -> Case:
    client = s.client()
    s.emulator.stall_next_job()
    job = client.create_job("tweets", "running")
    client.upload_ids(job, [20])
    return Case(
        ["create", "--type", "tweets", "--name", "another"],
        EXIT_USAGE,
        f"Wait for it (`compliance-frames get {job.id}`), then try again.",
    )


def _all_with_bad_ids(s: Setup) -> Case:
    results = str(s.folder / "r.ndjson")
    ids = s.ids_file("20", "not-an-id")
    argv = ["all", "--type", "tweets", "--name", "n", "--ids-file", ids, "--results-file", results]
    return Case(argv, EXIT_USAGE, "not-an-id")


def _all_failed_again(s: Setup) -> Case:
    s.emulator.fail_next_job()
    results = str(s.folder / "r.ndjson")
    argv = ["all", "--type", "tweets", "--name", "n", "--ids-file", s.ids_file()]
    argv += ["--results-file", results, "--poll-interval", "0.1", "--no-progress"]
    assert main(argv) == EXIT_JOB  # failed once: the second run says what to do
    return Case(argv, EXIT_JOB, "run the command with another --name NAME")


def _cache_unusable(s: Setup) -> Case:
    cache = s.folder / "a-file"
    cache.write_text("")
    s.monkeypatch.setenv("COMPLIANCE_FRAMES_CACHE", str(cache))
    results = str(s.folder / "r.ndjson")
    argv = ["all", "--type", "tweets", "--name", "n", "--ids-file", s.ids_file()]
    argv += ["--results-file", results]
    return Case(argv, EXIT_USAGE, "with the COMPLIANCE_FRAMES_CACHE environment variable")


def _check_name_clash(s: Setup) -> Case:
    data = s.dataset(tweet_id=TWEETS, compliance_deleted=[True, False, False])
    return Case(["check", data, "--id-col", "tweet_id"], EXIT_USAGE, "drop those columns")


def _check_float_parquet(s: Setup) -> Case:
    data = s.dataset("tweets.parquet", tweet_id=[1.0, 2.0, 3.0])
    return Case(["check", data, "--id-col", "tweet_id"], EXIT_USAGE, "floats")


def _check_user_col_with_users(s: Setup) -> Case:
    argv = ["check", s.dataset(), "--id-col", "tweet_id", "--type", "users", "--user-col", "author"]
    return Case(argv, EXIT_USAGE, "Use --type tweets, or leave out --user-col COLUMN.")


def _check_bad_ids(s: Setup) -> Case:
    data = s.dataset(tweet_id=["20", "x"])
    return Case(["check", data, "--id-col", "tweet_id"], EXIT_USAGE, "--errors skip")


def _check_missing_column(s: Setup) -> Case:
    return Case(["check", s.dataset(), "--id-col", "nope"], EXIT_USAGE, "No column 'nope'")


def _check_unknown_suffix(s: Setup) -> Case:
    argv = ["check", s.dataset(), "--id-col", "tweet_id", "--output", "out.xlsx"]
    return Case(argv, EXIT_USAGE, "use .csv, .parquet or .ndjson")


def _check_same_outputs(s: Setup) -> Case:
    out = str(s.folder / "out.csv")
    argv = ["check", s.dataset(), "--id-col", "tweet_id", "--output", out, "--filtered", out]
    return Case(argv, EXIT_USAGE, "--output and --filtered name the same file")


def _network(s: Setup) -> Case:
    argv = ["list", "--base-url", "http://127.0.0.1:9", "--max-retries", "0"]
    return Case(argv, EXIT_SERVICE, "Could not reach the server")


def _rate_limited(s: Setup) -> Case:
    s.emulator.inject("list", 429, times=3)
    return Case(["list", "--max-retries", "0"], EXIT_SERVICE, "Rate limit reached")


def _usage_capped(s: Setup) -> Case:
    s.emulator.inject("list", "usage-cap", times=3)
    return Case(["list", "--max-retries", "0"], EXIT_SERVICE, "usage cap")


def _server_error(s: Setup) -> Case:
    s.emulator.inject("list", 500, times=3)
    return Case(["list", "--max-retries", "0"], EXIT_SERVICE, "try again in a few minutes")


def _emulator_storage_port(s: Setup) -> Case:
    return Case(["emulator", "--storage-port", "5000"], EXIT_USAGE, "Drop --storage-port")


def _demo_into_a_file(s: Setup) -> Case:
    target = s.folder / "a-file"
    target.write_text("")
    return Case(["demo", "--output-dir", str(target)], EXIT_USAGE, "is a file")


CASES: list[Any] = [
    pytest.param(_no_token, {}, id="no-token"),
    pytest.param(_bad_base_url, {}, id="bad-base-url"),
    pytest.param(_plain_http, {}, id="plain-http"),
    pytest.param(_wrong_token, {}, id="wrong-token"),
    pytest.param(_user_token, {}, id="user-token"),
    pytest.param(_get_unknown, {}, id="get-999"),
    pytest.param(_get_not_an_id, {}, id="get-not-an-id"),
    pytest.param(_get_unknown_name, {}, id="get-unknown-name"),
    pytest.param(_get_ambiguous_name, {}, id="get-ambiguous-name"),
    pytest.param(_download_unknown, {}, id="download-unknown"),
    pytest.param(_download_into_a_folder, {}, id="download-into-folder"),
    pytest.param(_download_created, {}, id="download-created"),
    pytest.param(_upload_finished, {}, id="upload-finished"),
    pytest.param(_upload_too_large, {"max_upload_bytes": 100}, id="upload-too-large"),
    pytest.param(_upload_expired, {"upload_window": 1.0}, id="upload-expired"),
    pytest.param(_cancel_finished, {}, id="cancel-finished"),
    pytest.param(_conflict, {}, id="conflict"),
    pytest.param(_all_with_bad_ids, {}, id="all-bad-ids"),
    pytest.param(_all_failed_again, {}, id="all-failed-again"),
    pytest.param(_cache_unusable, {}, id="cache-unusable"),
    pytest.param(_check_name_clash, {}, id="check-name-clash"),
    pytest.param(
        _check_float_parquet,
        {},
        id="check-float-parquet",
    ),
    pytest.param(_check_user_col_with_users, {}, id="check-user-col-users"),
    pytest.param(
        _check_bad_ids,
        {},
        id="check-bad-ids",
    ),
    pytest.param(_check_missing_column, {}, id="check-missing-column"),
    pytest.param(_check_unknown_suffix, {}, id="check-unknown-suffix"),
    pytest.param(_check_same_outputs, {}, id="check-same-outputs"),
    pytest.param(_network, {}, id="network"),
    pytest.param(_rate_limited, {}, id="rate-limited"),
    pytest.param(_usage_capped, {}, id="usage-capped"),
    pytest.param(_server_error, {}, id="server-error"),
    pytest.param(_emulator_storage_port, {}, id="emulator-storage-port"),
    pytest.param(_demo_into_a_file, {}, id="demo-into-a-file"),
]


def _options_of(command: str) -> set[str]:
    """Every option string of a subcommand (and of the top-level parser)."""
    parser = build_parser()
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    actions = parser._actions + subparsers.choices[command]._actions
    return {text for action in actions for text in action.option_strings}


_QUOTED_COMMAND = re.compile(r"compliance-frames (\w+)([^`\n]*)")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def named_options(message: str, command: str) -> list[tuple[str, str]]:
    """(subcommand, option) for each option a message names: those inside a quoted
    ``compliance-frames SUB ...`` belong to SUB, the others to ``command``."""
    named = [
        (match.group(1), option)
        for match in _QUOTED_COMMAND.finditer(message)
        for option in _OPTION.findall(match.group(2))
    ]
    rest = _QUOTED_COMMAND.sub("", message)
    return named + [(command, option) for option in _OPTION.findall(rest)]


@pytest.fixture
def setup(
    make_emulator: EmulatorFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Setup]:
    def make(**settings: Any) -> Setup:
        emulator = make_emulator(**settings)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("BEARER_TOKEN", emulator.bearer_token)
        monkeypatch.setenv("X_API_BASE_URL", emulator.base_url)
        monkeypatch.setenv("COMPLIANCE_FRAMES_CACHE", str(tmp_path / "cache"))
        return Setup(emulator, tmp_path, monkeypatch)

    return make


@pytest.mark.parametrize(("provoke", "settings"), CASES)
def test_every_cli_error_speaks_the_cli(
    provoke: Callable[[Setup], Case],
    settings: dict[str, Any],
    setup: Callable[..., Setup],
    capsys: pytest.CaptureFixture[str],
    flow: str,
) -> None:
    if provoke is _upload_too_large and flow == "gcs":
        pytest.skip("the storage host of the gcs flow has no upload limit")
    case = provoke(setup(**settings))
    capsys.readouterr()
    code = main(case.argv)
    stderr = capsys.readouterr().err
    assert stderr.count("compliance-frames: error: ") == 1, stderr
    message = stderr.split("compliance-frames: error: ", 1)[1]
    assert code == case.code, stderr
    assert case.says in message, message
    assert not PYTHON.search(message), f"Python in a command line error: {message}"
    command = case.argv[0]
    for sub, option in named_options(message, command):
        assert option in _options_of(sub), f"{option} is no option of {sub}: {message}"


def test_errors_skip_keeps_the_bad_rows(
    setup: Callable[..., Setup], capsys: pytest.CaptureFixture[str]
) -> None:
    """The advice of the bad-IDs error works: with --errors skip the check goes through."""
    s = setup()
    data = s.dataset(tweet_id=["20", "x"])
    argv = ["check", data, "--id-col", "tweet_id", "--errors", "skip", "--no-progress"]
    assert main([*argv, "--poll-interval", "0.1"]) == 0
    assert "compliance-frames: error" not in capsys.readouterr().err


def test_python_renders_the_same_hints_in_python(setup: Callable[..., Setup]) -> None:
    """The library's messages give the advice as Python arguments and calls."""
    s = setup()
    client = s.client()
    with pytest.raises(ComplianceError) as unknown:
        client.get_job("999")
    assert str(unknown.value) == (
        "No compliance job with id 999. List your jobs with `Client().list_jobs()`."
    )
    frame = pl.DataFrame({"tweet_id": TWEETS, "compliance_deleted": [True, False, False]})
    with pytest.raises(ComplianceError) as clash:
        compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    assert str(clash.value).endswith(
        "Pass overwrite=True to replace them, or another prefix= to keep both."
    )
    with pytest.raises(ComplianceError) as users:
        compliance_frames.check(frame, "tweet_id", "users", user_col="tweet_id", client=client)
    assert str(users.value).endswith("Use type='tweets', or leave out user_col=...")
    lazy = pl.LazyFrame({"tweet_id": ["20", "x"]})
    with pytest.raises(ComplianceError) as bad:
        compliance_frames.check(lazy, "tweet_id", client=client, progress=False)
    assert str(bad.value).endswith("or pass errors='skip' to keep them with null flags.")
    s.monkeypatch.delenv("BEARER_TOKEN")
    with pytest.raises(ComplianceError) as no_token:
        Client(base_url=s.emulator.base_url)
    assert "Pass Client(bearer_token=...), or set the BEARER_TOKEN environment" in str(
        no_token.value
    )


def test_retries_are_told_in_the_command_lines_voice(
    capsys: pytest.CaptureFixture[str],
    mocker: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The library's warnings (a retry) are lines of the command line, not Python's bare
    last-resort log output; and main() leaves no handler behind."""
    mocker.patch("compliance_frames.client.clock.sleep")
    monkeypatch.setenv("BEARER_TOKEN", "a-token")
    monkeypatch.setenv("COMPLIANCE_FRAMES_CACHE", str(tmp_path / "cache"))
    logger = logging.getLogger("compliance_frames")
    handlers = list(logger.handlers)
    argv = ["list", "--base-url", "http://127.0.0.1:9", "--max-retries", "2"]
    assert main(argv) == EXIT_SERVICE
    lines = capsys.readouterr().err.splitlines()
    retries = [line for line in lines if "retrying in" in line]
    assert len(retries) == 2, lines
    assert all(line.startswith("compliance-frames: GET /2/compliance/jobs") for line in retries)
    assert lines[-1].startswith("compliance-frames: error: Could not reach the server")
    assert logger.handlers == handlers
