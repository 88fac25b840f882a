"""What the subcommands share: options, help formatting, the client, finding a job,
printing jobs, checking and writing output files.

The bearer token comes from ``BEARER_TOKEN`` only, never from an option: options end
up in shell history and process lists.

Nothing heavy is imported here at module level (no requests, no client, no dataframe
library): ``compliance-frames --help`` builds every subcommand's parser from these
helpers and must answer at once. The client is imported when a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import stat
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ComplianceError
from ..models import JobStatus

if TYPE_CHECKING:
    from ..client import Client
    from ..models import ComplianceJob

JOB_TYPES = ("tweets", "users")
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_MAX_AGE = 24 * 3600.0  # as the client's (not imported: see the module)
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([smhdw]?)", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class UsageError(ComplianceError):
    """The command line was used wrongly (exit code 2); the message says how to fix it."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    r"""Help in the command line's layout: an indented line of a description or epilog
    (an example command, a row of a table) keeps its layout; other paragraphs are
    wrapped to the terminal. Defaults are written into each option's help where there
    is one worth saying.

    Example:
        >>> formatter = HelpFormatter("prog")
        >>> print(formatter._fill_text("A paragraph.\n\nexamples:\n  prog --x", 40, ""))
        A paragraph.
        <BLANKLINE>
        examples:
          prog --x
    """

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines):  # examples: kept as written
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                filled = textwrap.fill(
                    " ".join(paragraph.split()),
                    width,
                    initial_indent=indent,
                    subsequent_indent=indent,
                )
                paragraphs.append(filled)
        return "\n\n".join(paragraphs)


def examples(*lines: str) -> str:
    """A subcommand's epilog: ``examples:`` and indented command lines.

    Example:
        >>> print(examples("compliance-frames list", "compliance-frames list --json"))
        examples:
          compliance-frames list
          compliance-frames list --json
    """
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def add_command(commands: Any, name: str, **settings: Any) -> argparse.ArgumentParser:
    """A subcommand's parser, with the command line's help formatting."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, formatter_class=HelpFormatter, **settings
    )
    return parser


def api_options(parser: argparse.ArgumentParser) -> None:
    """``--base-url`` and ``--max-retries``: every subcommand that talks to the API."""
    base_url_option(parser, default=argparse.SUPPRESS)  # keeps one given before the command
    parser.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        metavar="N",
        help="retries after 429s, 5xx answers and dropped connections (default: %(default)s)",
    )


def progress_option(parser: argparse.ArgumentParser) -> None:
    """``--no-progress``: the subcommands that draw progress bars (on standard error)."""
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="draw no progress bars (default: bars on standard error)",
    )


def poll_option(parser: argparse.ArgumentParser) -> None:
    """``--poll-interval``: the subcommands that wait for a job."""
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL,
        metavar="SECONDS",
        help="first wait between status checks while waiting for X; it grows with the "
        "job's age, up to 2 minutes (default: 5)",
    )


def duration(text: str) -> float | None:
    """A duration of the command line in seconds: ``90s``, ``30m``, ``6h``, ``7d``, ``2w``,
    a plain number of seconds, or ``any`` (None: no limit). Anything else raises
    :class:`argparse.ArgumentTypeError` saying what is taken.

    Example:
        >>> duration("6h"), duration("7d"), duration("30m"), duration("90s"), duration("0")
        (21600.0, 604800.0, 1800.0, 90.0, 0.0)
        >>> duration("1.5H"), duration("any")
        (5400.0, None)
        >>> duration("soon")
        Traceback (most recent call last):
        argparse.ArgumentTypeError: 'soon' is not a duration: ...
    """
    value = text.strip().lower()
    if value in ("any", "none"):
        return None
    match = _DURATION.fullmatch(value)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: give a number with a unit, s, m, h, d or w (90s, "
            "30m, 6h, 7d), 0 to run a new job every time, or 'any' for results of any age"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def max_age_option(parser: argparse.ArgumentParser) -> None:
    """``--max-age``: the subcommands that may re-use an earlier job's answer."""
    parser.add_argument(
        "--max-age",
        type=duration,
        default=DEFAULT_MAX_AGE,
        metavar="DURATION",
        help="re-use the answer of an earlier job of the same IDs only if X made it less than "
        "this long ago, else run a new job: 90s, 30m, 6h, 7d; 0 for a new job every time; "
        "'any' for any age (default: 24h)",
    )


def job_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that runs jobs to the end: ``--max-age``,
    ``--poll-interval``, ``--no-progress`` and the API's."""
    max_age_option(parser)
    poll_option(parser)
    progress_option(parser)
    api_options(parser)


def base_url_option(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """``--base-url``, accepted before the subcommand and after it."""
    parser.add_argument(
        "--base-url",
        default=default,
        metavar="URL",
        help="API root (default: $X_API_BASE_URL, else https://api.x.com); the token is read "
        "from $BEARER_TOKEN",
    )


def type_option(
    parser: argparse.ArgumentParser, help: str, *, required: bool = False, default: Any = None
) -> None:
    """``--type tweets|users``."""
    parser.add_argument("--type", choices=JOB_TYPES, required=required, default=default, help=help)


def json_option(parser: argparse.ArgumentParser) -> None:
    """``--json``: print jobs as JSON, as the API writes them."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON, as the API writes jobs (with their signed URLs), instead of text",
    )


def job_selection(parser: argparse.ArgumentParser, *, positional: bool = False) -> None:
    """Select a job by id or by name (``--type`` narrows a name to one type)."""
    group = parser.add_mutually_exclusive_group(required=True)
    if positional:
        group.add_argument("id", nargs="?", help="the job's id (as `list` shows it)")
    else:
        group.add_argument("--id", help="the job's id (as `list` shows it)")
    group.add_argument(
        "--name", help="the job's name instead of its id (it must match exactly one job)"
    )
    type_option(parser, "with --name: only jobs of this type (default: both)")


def make_client(args: argparse.Namespace) -> Client:
    """A client from ``--base-url`` / the environment (imported here: see the module)."""
    from ..client import Client

    poll_interval = getattr(args, "poll_interval", DEFAULT_POLL_INTERVAL)
    return Client(
        base_url=args.base_url,
        max_retries=args.max_retries,
        poll_interval=poll_interval,
        max_poll_interval=max(120.0, poll_interval),
        max_age=getattr(args, "max_age", DEFAULT_MAX_AGE),
    )


def progress(args: argparse.Namespace) -> bool:
    """Whether to draw progress bars."""
    return not getattr(args, "no_progress", False)


def find_job(client: Client, args: argparse.Namespace) -> ComplianceJob:
    """The job named by ``--id`` (or the positional id) or ``--name``; a name must be unique."""
    if getattr(args, "id", None):
        return client.get_job(args.id)
    candidates = client.find_jobs(args.name, args.type)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        recent = client.list_jobs(args.type)[:10]
        listed = "\n".join(job_line(job) for job in recent) or "  (no jobs at all)"
        raise UsageError(
            f"No job is named {args.name!r}"
            + (f" among {args.type} jobs" if args.type else "")
            + f". The most recent jobs:\n{listed}\nGive its id instead, or one of these names."
        )
    listed = "\n".join(job_line(job) for job in candidates)
    raise UsageError(
        f"{len(candidates)} jobs are named {args.name!r}:\n{listed}\n"
        "Choose one by its id" + ("" if args.type else " (or narrow with --type)") + "."
    )


def when(moment: datetime) -> str:
    """A timestamp for people: ``2021-10-07 07:41 UTC``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def printable(text: str, *, lines: bool = False) -> str:
    r"""``text`` with what a terminal would act on escaped: control characters (an escape
    sequence, a carriage return), bidirectional overrides, and newlines unless ``lines``.

    A job's name and error come from the network: printed raw, they could recolour or
    clear the terminal, or forge lines of a listing.

    Example:
        >>> printable("evil\x1b[2Jname\nline")
        'evil\\x1b[2Jname\\nline'
    """
    return "".join(
        char
        if char.isprintable() or (lines and char == "\n")
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def job_line(job: ComplianceJob) -> str:
    """One line per job, for lists."""
    name = printable(job.name) if job.name is not None else "-"
    created = when(job.created_at)
    job_id = printable(job.id)
    return f"  {job_id:<20} {job.type.value:<7} {job.status.value:<12} {created:<21} {name}"


def job_header() -> str:
    """The header of :func:`job_line` lists."""
    return f"  {'ID':<20} {'TYPE':<7} {'STATUS':<12} {'CREATED':<21} NAME"


def print_jobs(jobs: Sequence[ComplianceJob], as_json: bool) -> None:
    """Print jobs as a table or as JSON."""
    if as_json:
        print(json.dumps([job.to_api() for job in jobs], indent=2))
        return
    print(job_header())
    for job in jobs:
        print(job_line(job))


def print_job(job: ComplianceJob, as_json: bool) -> None:
    """Print one job in full (its signed URLs only in JSON)."""
    if as_json:
        print(json.dumps(job.to_api(), indent=2))
        return
    now = datetime.now(timezone.utc)
    upload_state = "open" if job.upload_open(now) else "closed"
    download_state = "open" if job.download_open(now) else "closed"
    rows: list[tuple[str, Any]] = [
        ("job", printable(job.id)),
        ("name", printable(job.name or "-")),
        ("type", job.type.value),
        ("status", job.status.value),
        ("resumable", "yes" if job.resumable else "no"),
        ("created", when(job.created_at)),
        ("upload until", f"{when(job.upload_expires_at)} ({upload_state})"),
        ("download until", f"{when(job.download_expires_at)} ({download_state})"),
    ]
    if job.error:
        rows.append(("error", printable(job.error)))
    for label, value in rows:
        print(f"{label + ':':<16}{value}")


def next_steps(job: ComplianceJob) -> str:
    """What to do next with a job, as commands."""
    start_again = (
        f"  compliance-frames all --type {job.type.value} --name NAME --ids-file IDS.txt "
        "--results-file RESULTS.ndjson"
    )
    if job.status is JobStatus.CREATED and not job.upload_open():
        return (
            f"Its upload URL expired at {when(job.upload_expires_at)}. Start again:\n{start_again}"
        )
    if job.status is JobStatus.COMPLETE and not job.download_open():
        return (
            f"Its results could be downloaded until {when(job.download_expires_at)}, no longer. "
            f"Start again:\n{start_again}"
        )
    if job.status is JobStatus.CREATED:
        return (
            f"Next: upload the IDs before {when(job.upload_expires_at)}:\n"
            f"  compliance-frames upload --id {job.id} --ids-file IDS.txt"
        )
    if job.status is JobStatus.IN_PROGRESS:
        return (
            "Next: X is processing the IDs (minutes to hours). Wait for it and download:\n"
            f"  compliance-frames download --id {job.id} --results-file RESULTS.ndjson"
        )
    if job.status is JobStatus.COMPLETE:
        return f"Next: compliance-frames download --id {job.id} --results-file RESULTS.ndjson"
    if job.status is JobStatus.FAILED:
        return "Check the IDs file (one 1-19 digit ID per line) and start again with a new job."
    return f"No IDs reached this job in time. Start again:\n{start_again}"


def say(message: str = "") -> None:
    """A line for the user on standard output, printed at once.

    A reader that stopped reading (``| head -1``) does not stop the command: the rest of
    its output is dropped and its work (the files it writes) goes on.
    """
    try:
        print(message, flush=True)
    except BrokenPipeError:
        silence(sys.stdout)


def err(message: str) -> None:
    """A line for the user on standard error (dropped if nobody reads it any more)."""
    try:
        print(message, file=sys.stderr, flush=True)
    except BrokenPipeError:
        silence(sys.stderr)


def silence(stream: TextIO | None) -> None:
    """Send what is still to come on ``stream`` to the null device.

    For a pipe whose reader went away: Python flushes the standard streams at exit, and
    a flush into the closed pipe would fail once more (the recipe of the Python docs,
    "Note on SIGPIPE").
    """
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no file descriptor
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)


# -- output files -------------------------------------------------------------------------

_EXAMPLE_NAMES = {
    "--results-file": "results.ndjson",
    "--output": "flagged.parquet",
    "--filtered": "filtered.parquet",
}

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.part$")
"""The temporary file that :func:`~compliance_frames.files.atomic_write` writes beside
its target (``.results.ndjson.k2j4_x9q.part``): never shown, its target is."""

_TEMPORARY_IN_TEXT = re.compile(
    r"(?<![^\s/'\"])\.(?P<name>[^\s/'\"]+)\.[a-z0-9_]{8}\.part(?![^\s'\"])"
)

_ADVICE = {
    errno.ENOSPC: "Free some space there, or choose another place.",
    errno.EDQUOT: "Free some space (your disk quota is used up), or choose another place.",
    errno.EFBIG: "The file is larger than this system allows there: choose another place.",
    errno.EROFS: "That file system is read-only: choose another place.",
    errno.EACCES: "Check the path and its permissions, or choose a folder you can write to.",
    errno.EPERM: "Check the path and its permissions, or choose a folder you can write to.",
    errno.ENAMETOOLONG: "Choose a shorter path (the file is first written beside it under a "
    "longer temporary name).",
    errno.ELOOP: "A symbolic link in the path points back to itself: check the path.",
    errno.EEXIST: "Something is in the way at that path (a file where a folder is needed?): "
    "check the path.",
}


def shown_path(filename: str | os.PathLike[str]) -> str:
    """A path as the user knows it: a temporary ``.NAME.xxxxxxxx.part`` becomes NAME.

    Example:
        >>> shown_path("out/.results.ndjson.k2j4_x9q.part")
        'out/results.ndjson'
    """
    text = os.fspath(filename)
    folder, name = os.path.split(text)
    match = _TEMPORARY.match(name)
    return os.path.join(folder, match.group("name")) if match else text


_ERRNO = re.compile(r"\[Errno (\d+)\]|\(os error (\d+)\)")
"""An error number in a message: Python's ``[Errno 28]``, Rust's (polars') ``(os error 27)``."""


def os_problem(exc: OSError) -> str:
    """What went wrong, in words (never a temporary file's name).

    Example:
        >>> os_problem(OSError(28, "No space left on device", "out/.r.csv.abcd_123.part"))
        'No space left on device'
        >>> os_problem(OSError("cannot write '/x/.r.csv.abcd_123.part' (os error 27)"))
        "cannot write '/x/r.csv' (os error 27)"
    """
    if exc.strerror:
        return exc.strerror
    text = _TEMPORARY_IN_TEXT.sub(lambda match: match.group("name"), str(exc)).strip()
    return text or type(exc).__name__


def os_advice(exc: OSError | str) -> str:
    """What to do about a file system error (or a message quoting one), by its kind."""
    number = exc.errno if isinstance(exc, OSError) else None
    if number is None:
        match = _ERRNO.search(str(exc))
        number = int(match.group(1) or match.group(2)) if match else None
    return _ADVICE.get(number or 0, "Check the path and try again.")


def quotes_os_error(message: str) -> bool:
    """Whether a message (of polars, say) reports a file system error by its number."""
    return _ERRNO.search(message) is not None


def check_writable(path: Path, option: str) -> None:
    """Refuse an output path that cannot be written: called before any job runs.

    ``path`` must not be a folder, nor a device, pipe or socket (outputs are written
    to a temporary file beside the target and renamed over it, which would replace
    such a file). The nearest folder above it that exists must be a folder in which
    files (and the folders still missing) can be created: this is tried for real, with
    an empty file named like the temporary one, created and removed at once. Raises
    :class:`UsageError` naming ``option`` and the path as given.

    Example:
        >>> check_writable(Path(tempfile.mkdtemp()) / "new" / "out.csv", "--output")
        >>> check_writable(Path(tempfile.mkdtemp()), "--output")
        Traceback (most recent call last):
        ...
        compliance_frames.cli.common.UsageError: --output /... is a folder...
    """
    given = f"{option} {path}"
    try:
        mode: int | None = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folders above are checked below
        mode = None
    except OSError as exc:
        raise UsageError(f"Cannot write {given}: {os_problem(exc)}. {os_advice(exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        example = path / _EXAMPLE_NAMES.get(option, "output")
        raise UsageError(f"{given} is a folder: give the path of a file, e.g. {option} {example}.")
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(
            f"{given} is not a regular file (a device, pipe or socket): outputs are written "
            "whole and renamed into place, which would replace it. Give the path of a file."
        )
    folder = path.parent
    while True:
        try:
            mode = os.stat(folder).st_mode
            break
        except (FileNotFoundError, NotADirectoryError):
            if folder.parent == folder:  # the current folder itself is gone
                raise UsageError(
                    f"Cannot write {given}: the current folder no longer exists. Change to a "
                    "folder that exists and run the command again."
                ) from None
            folder = folder.parent
        except OSError as exc:
            raise UsageError(
                f"Cannot write {given}: {os_problem(exc)} ({folder}). {os_advice(exc)}"
            ) from None
    where = "the current folder" if str(folder) == "." else str(folder)
    if not stat.S_ISDIR(mode):
        raise UsageError(
            f"Cannot write {given}: {where} is a file, not a folder, so no folder can be "
            f"made in it. Choose a path in a folder (or move {where} away)."
        )
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        what = (
            "its name is too long"
            if exc.errno == errno.ENAMETOOLONG
            else (f"{where} is not writable ({os_problem(exc)})")
        )
        raise UsageError(f"Cannot write {given}: {what}. {os_advice(exc)}") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.remove(probe)


@contextlib.contextmanager
def writing(path: Path, option: str, *, again: str) -> Iterator[None]:
    """Turn a failure to write an output (a full disk, a permission taken away) into a
    :class:`UsageError` naming ``option`` and the path as given, never a temporary file.

    ``again`` says how to get the output once the cause is fixed. Network errors (which
    are ``OSError`` too) pass through.
    """
    import requests

    try:
        yield
    except (requests.RequestException, ConnectionError, TimeoutError):
        raise
    except OSError as exc:
        raise UsageError(
            f"Could not write {option} {path}: {os_problem(exc)}. {os_advice(exc)} "
            f"{path} is left as it was before. {again}"
        ) from None
