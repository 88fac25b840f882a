"""What to change after an error: said once, rendered in each front end's own terms.

An error's advice names things the user can change: an argument of a function, an
environment variable, a command to run. The library's message spells them in Python
(``errors='skip'``, ``Client().list_jobs()``); the command line spells the same hint
with its options and commands (``--errors skip``, ``compliance-frames list``). A hint is
a list of *choices*; each choice is a run of text and those named things. A front end
that has no way to make a choice (the command line has no ``overwrite=``) leaves that
choice out, so no message advises what the reader cannot do.

Example:
    >>> hint = Hint(
    ...     Choice("fix or drop these rows"),
    ...     Choice("pass ", Argument("errors", "skip"), " to keep them with null flags"),
    ... )
    >>> print(hint.render(PYTHON))
    Fix or drop these rows, or pass errors='skip' to keep them with null flags.
    >>> print(hint.render(Terms(options={"errors": "--errors"}, commands={})))
    Fix or drop these rows, or pass --errors skip to keep them with null flags.
    >>> print(hint.render(Terms(options={}, commands={})))
    Fix or drop these rows.
    >>> Hint(Choice(Spelled(python="use pd.read_csv(dtype=str)", cli=None))).render(CLI_EMPTY)
    ''

"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "CLI_EMPTY",
    "PYTHON",
    "Argument",
    "Choice",
    "Command",
    "Environment",
    "Hint",
    "Spelled",
    "Terms",
]

_UNSET = object()


@dataclass(frozen=True)
class Argument:
    """A keyword argument of the library (``name=value``); a ``--option`` on the command line.

    ``value`` left out renders ``name=...`` / ``--option VALUE``. ``python`` overrides the
    Python spelling when the argument belongs to another call (``Client(results_dir=...)``).
    """

    name: str
    value: object = _UNSET
    python: str | None = None

    def in_python(self) -> str:
        if self.python is not None:
            return self.python
        shown = "..." if self.value is _UNSET else repr(self.value)
        return f"{self.name}={shown}"

    def in_cli(self, option: str, metavar: str | None = None) -> str:
        """``--option VALUE``; ``metavar`` (the option's own) stands for a value left out."""
        if self.value is _UNSET:
            return f"{option} {metavar or self.name.upper()}"
        if self.value is True:
            return option
        return f"{option} {self.value}"


@dataclass(frozen=True)
class Environment:
    """An environment variable: spelled the same everywhere."""

    name: str


@dataclass(frozen=True)
class Command:
    """Something to run: a Python call in the library, a command in the shell.

    ``key`` names it for front ends (``"list"``, ``"cancel"``); ``python`` is the Python
    spelling; ``args`` are placed after the command's name on the command line.
    """

    key: str
    python: str
    args: str = ""


@dataclass(frozen=True)
class Spelled:
    """Text that differs by front end: ``python`` in the library, ``cli`` on the command
    line. ``None`` for one of them leaves the whole choice out there (advice about
    ``pd.read_csv`` means nothing in a shell)."""

    python: str | None
    cli: str | None


Part: TypeAlias = str | Argument | Environment | Command | Spelled


@dataclass(frozen=True)
class Choice:
    """One thing the user can do: text and named things, e.g. ``("pass ", Argument(...))``."""

    parts: tuple[Part, ...]

    def __init__(self, *parts: Part) -> None:
        object.__setattr__(self, "parts", parts)

    def render(self, terms: Terms) -> str | None:
        """The choice in ``terms``; None when the front end cannot offer part of it."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Environment):
                out.append(part.name)
            elif isinstance(part, Spelled):
                text = part.python if terms.options is None else part.cli
                if text is None:
                    return None
                out.append(text)
            elif isinstance(part, Argument):
                shown = terms.argument(part)
                if shown is None:
                    return None
                out.append(shown)
            else:
                command = terms.command(part)
                if command is None:
                    return None
                out.append(command)
        return "".join(out)


@dataclass(frozen=True)
class Terms:
    """How a front end spells arguments and commands.

    ``options`` maps a Python argument name to its option (``"errors" -> "--errors"``);
    ``commands`` maps a command key to the shell command (``"list" -> "compliance-frames
    list"``). ``None`` for both is the library's own spelling: Python. ``metavars`` names
    the value of an option where it has a name of its own (``"poll_interval" ->
    "SECONDS"``).
    """

    options: Mapping[str, str] | None = None
    commands: Mapping[str, str] | None = None
    quote: str = "`"
    metavars: Mapping[str, str] = field(default_factory=dict)

    def argument(self, argument: Argument) -> str | None:
        if self.options is None:
            return argument.in_python()
        option = self.options.get(argument.name)
        if option is None:
            return None
        return argument.in_cli(option, self.metavars.get(argument.name))

    def command(self, command: Command) -> str | None:
        if self.commands is None:
            return f"{self.quote}{command.python}{self.quote}"
        shell = self.commands.get(command.key)
        if shell is None:
            return None
        full = f"{shell} {command.args}".rstrip()
        return f"{self.quote}{full}{self.quote}"


PYTHON = Terms()
"""The library's spelling: Python arguments and calls."""

CLI_EMPTY = Terms(options={}, commands={})
"""A front end with no options nor commands (for tests: only plain text survives)."""


@dataclass(frozen=True)
class Hint:
    """What the user can do, as choices joined with "or": see the module's example."""

    choices: tuple[Choice, ...] = field(default=())

    def __init__(self, *choices: Choice | str) -> None:
        object.__setattr__(
            self,
            "choices",
            tuple(choice if isinstance(choice, Choice) else Choice(choice) for choice in choices),
        )

    def render(self, terms: Terms = PYTHON) -> str:
        """One sentence (empty when the front end can offer none of the choices)."""
        shown = [text for choice in self.choices if (text := choice.render(terms))]
        if not shown:
            return ""
        sentence = ", or ".join(shown)
        sentence = sentence[0].upper() + sentence[1:]
        return sentence if sentence.endswith((".", "?", "!", ".)")) else sentence + "."
