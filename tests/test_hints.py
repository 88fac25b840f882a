"""Hints: one piece of advice, rendered in Python's words and in the command line's."""

from __future__ import annotations

import argparse
import warnings

import pytest

from compliance_frames.cli.main import build_parser
from compliance_frames.cli.terms import cli_terms
from compliance_frames.errors import (
    ComplianceError,
    ComplianceWarning,
    InputError,
    InvalidIDError,
)
from compliance_frames.hints import (
    CLI_EMPTY,
    PYTHON,
    Argument,
    Choice,
    Command,
    Environment,
    Hint,
    Spelled,
    Terms,
)

SKIP = Hint(
    "fix or drop these rows",
    Choice("pass ", Argument("errors", "skip"), " to keep them with null flags"),
)


def test_an_argument_in_python_and_as_an_option() -> None:
    terms = Terms(options={"errors": "--errors", "user_col": "--user-col"}, commands={})
    assert SKIP.render(PYTHON) == (
        "Fix or drop these rows, or pass errors='skip' to keep them with null flags."
    )
    assert SKIP.render(terms) == (
        "Fix or drop these rows, or pass --errors skip to keep them with null flags."
    )
    assert Hint(Choice("drop ", Argument("user_col"))).render(terms) == "Drop --user-col USER_COL."
    assert Hint(Choice("drop ", Argument("user_col"))).render(PYTHON) == "Drop user_col=..."


def test_flags_and_metavars() -> None:
    terms = Terms(
        options={"overwrite": "--overwrite", "poll_interval": "--poll-interval"},
        commands={},
        metavars={"poll_interval": "SECONDS"},
    )
    assert Argument("overwrite", True).in_python() == "overwrite=True"
    assert terms.argument(Argument("overwrite", True)) == "--overwrite"
    assert terms.argument(Argument("poll_interval")) == "--poll-interval SECONDS"
    assert terms.argument(Argument("poll_interval", 0.5)) == "--poll-interval 0.5"
    assert Argument("results_dir", python="Client(results_dir=...)").in_python() == (
        "Client(results_dir=...)"
    )


def test_a_choice_the_front_end_cannot_offer_drops_out() -> None:
    hint = Hint(
        Choice("pass ", Argument("overwrite", True), " to replace them"),
        Choice(Spelled(None, "drop those columns")),
    )
    assert hint.render(PYTHON) == "Pass overwrite=True to replace them."
    assert hint.render(CLI_EMPTY) == "Drop those columns."
    assert Hint(Choice("pass ", Argument("overwrite", True))).render(CLI_EMPTY) == ""


def test_commands_and_environment_variables() -> None:
    hint = Hint(
        Choice("list your jobs with ", Command("list", "Client().list_jobs()")),
        Choice("set ", Environment("BEARER_TOKEN")),
        Choice("wait with ", Command("wait", "handle.wait()")),
    )
    terms = Terms(options={}, commands={"list": "compliance-frames list"})
    assert hint.render(PYTHON) == (
        "List your jobs with `Client().list_jobs()`, or set BEARER_TOKEN, or wait with "
        "`handle.wait()`."
    )
    assert hint.render(terms) == (
        "List your jobs with `compliance-frames list`, or set BEARER_TOKEN."
    )
    command = Command("get", "get_job('12')", "12")
    assert Terms(options={}, commands={"get": "compliance-frames get"}).command(command) == (
        "`compliance-frames get 12`"
    )


def test_an_error_keeps_its_problem_and_renders_its_hint() -> None:
    exc = InvalidIDError("Column 'id' has 2 value(s) that are not IDs.", count=2, hint=SKIP)
    assert exc.problem == "Column 'id' has 2 value(s) that are not IDs."
    assert str(exc) == (
        "Column 'id' has 2 value(s) that are not IDs. Fix or drop these rows, or pass "
        "errors='skip' to keep them with null flags."
    )
    assert exc.render(Terms(options={"errors": "--errors"}, commands={})).endswith(
        "or pass --errors skip to keep them with null flags."
    )
    assert exc.render(CLI_EMPTY).endswith("IDs. Fix or drop these rows.")
    plain = InputError("No column 'x'.")
    assert str(plain) == plain.render(CLI_EMPTY) == plain.problem == "No column 'x'."
    with pytest.raises(ComplianceError, match="errors='skip'"):
        raise exc


def test_a_warning_carries_its_hint() -> None:
    hint = Hint(Choice("leave out ", Argument("resumable", True)))
    with pytest.warns(UserWarning, match=r"Refused\. Leave out resumable=True\.") as caught:
        warnings.warn(ComplianceWarning("Refused.", hint=hint), stacklevel=1)
    warning = caught[0].message
    assert isinstance(warning, ComplianceWarning)
    assert warning.render(cli_terms(build_parser(), "create")) == "Refused. Leave out --resumable."


def test_the_cli_terms_come_from_the_parser() -> None:
    parser = build_parser()
    check = cli_terms(parser, "check")
    assert check.options is not None
    assert check.commands is not None
    assert check.options["errors"] == "--errors"
    assert check.options["user_col"] == "--user-col"
    assert check.options["base_url"] == "--base-url"
    assert check.options["poll_interval"] == "--poll-interval"
    assert "results_file" not in check.options  # an option of other subcommands only
    assert check.argument(Argument("poll_interval")) == "--poll-interval SECONDS"
    assert check.argument(Argument("type", "tweets")) == "--type tweets"
    assert check.argument(Argument("job_type", "users")) == "--type users"  # a Python name
    assert check.commands["list"] == "compliance-frames list"
    assert set(check.commands) >= {"create", "list", "get", "cancel", "upload", "download", "all"}
    download = cli_terms(parser, "download")
    assert download.options is not None
    assert download.options["results_file"] == "--results-file"
    assert download.argument(Argument("no_wait", True)) == "--no-wait"
    assert "errors" not in download.options
    get = cli_terms(parser, "get")
    assert get.options is not None
    assert "id" not in get.options  # a positional, no option
    assert cli_terms(parser, None).options == {"base_url": "--base-url", "version": "--version"}


def test_every_option_of_every_subcommand_is_in_its_terms() -> None:
    parser = build_parser()
    (subparsers,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        options = cli_terms(parser, name).options or {}
        for action in sub._actions:
            long = [text for text in action.option_strings if text.startswith("--")]
            if long and action.dest != "help":
                assert options[action.dest] == long[0], (name, action.dest)
