"""The command line's words for the library's hints, read from the argument parser itself.

An error's :class:`~compliance_frames.hints.Hint` names Python arguments and calls; the
command line says the same with the options of the subcommand being run and with its
own subcommands. Both come from the parser, so a hint can only name an option that
exists: an argument the subcommand does not have (``overwrite=``) leaves its choice out.

Example:
    >>> import argparse
    >>> from compliance_frames.hints import Argument, Choice, Command, Hint
    >>> parser = argparse.ArgumentParser(prog="compliance-frames")
    >>> commands = parser.add_subparsers(dest="command")
    >>> check = commands.add_parser("check")
    >>> _ = check.add_argument("--user-col")
    >>> _ = check.add_argument("--errors", choices=["raise", "skip"])
    >>> _ = commands.add_parser("list")
    >>> terms = cli_terms(parser, "check")
    >>> hint = Hint(Choice("pass ", Argument("errors", "skip")),
    ...             Choice("drop ", Argument("user_col")),
    ...             Choice("pass ", Argument("overwrite", True)),
    ...             Choice("see ", Command("list", "Client().list_jobs()")))
    >>> print(hint.render(terms))
    Pass --errors skip, or drop --user-col USER_COL, or see `compliance-frames list`.
"""

from __future__ import annotations

import argparse

from ..hints import Terms

__all__ = ["PYTHON_NAMES", "cli_terms"]

PROG = "compliance-frames"

PYTHON_NAMES = {"job_type": "type", "job_id": "id"}
"""Python argument names that the command line spells with another option's ``dest``."""


def cli_terms(parser: argparse.ArgumentParser, command: str | None) -> Terms:
    """The terms of ``command`` (a subcommand of ``parser``; None: the parser alone).

    ``options`` maps each option's ``dest`` (and the Python names of
    :data:`PYTHON_NAMES`) to its long option string, for the options of the top-level
    parser and of the subcommand; ``commands`` maps each subcommand to
    ``compliance-frames <subcommand>``.
    """
    options: dict[str, str] = {}
    metavars: dict[str, str] = {}
    commands: dict[str, str] = {}
    _add_options(parser, options, metavars)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                commands[name] = f"{PROG} {name}"
                if name == command:
                    _add_options(sub, options, metavars)
    for python, dest in PYTHON_NAMES.items():
        if dest in options and python not in options:
            options[python] = options[dest]
            if dest in metavars:
                metavars[python] = metavars[dest]
    return Terms(options=options, commands=commands, metavars=metavars)


def _add_options(
    parser: argparse.ArgumentParser, options: dict[str, str], metavars: dict[str, str]
) -> None:
    """Each option of ``parser`` (not positionals, not --help): dest -> its long string."""
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        long = [text for text in action.option_strings if text.startswith("--")]
        options[action.dest] = (long or action.option_strings)[0]
        if isinstance(action.metavar, str):
            metavars[action.dest] = action.metavar
