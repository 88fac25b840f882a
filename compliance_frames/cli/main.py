"""Entry point: builds the parser from the subcommand modules and runs one.

Exit codes: 0 success; 1 the job failed or expired; 2 a usage or input error (a bad
option, file, ID, name or token; an output that cannot be written, a full disk);
3 a service problem that outlasted the retries (network, rate limit, server): try
again later; 130 interrupted (Ctrl-C). The command line never prompts, and no input,
file or network problem ends in a traceback.

A reader that stops early (``compliance-frames list | head -1``) ends the command
quietly with exit code 0, as ``twarc`` and ``gh`` do: the consumer has what it
wanted, and a shell pipeline (``set -o pipefail``) should not fail because of it.
``check`` goes on writing its files when nobody reads its summary any more.

``--help``, ``COMMAND --help`` and ``--version`` answer at once: the command line's
modules import the client, the frames and the emulator only inside the functions that
run a command, never a dataframe library or ``requests`` at module level.

:func:`main` can be called more than once in a process (the tests do): what it changes
of the process (how warnings are shown, the error handling of standard output) it puts
back when it returns.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import logging
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .._version import __version__
from ..errors import (
    AccessDeniedError,
    AuthenticationError,
    ComplianceError,
    ComplianceWarning,
    ConfigurationError,
    ConflictError,
    InputError,
    InvalidIDError,
    InvalidRequestError,
    JobExpiredError,
    JobFailedError,
    JobNotFoundError,
    UploadTooLargeError,
    URLExpiredError,
)
from ..hints import CLI_EMPTY, Terms
from . import auditcmd, checkcmd, cleancmd, democmd, jobs, serve
from .common import (
    HelpFormatter,
    UsageError,
    base_url_option,
    err,
    os_advice,
    os_problem,
    printable,
    shown_path,
    silence,
)
from .terms import cli_terms

EXIT_OK = 0
EXIT_JOB = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3
EXIT_INTERRUPTED = 130

USAGE_ERRORS = (
    UsageError,
    InputError,
    InvalidIDError,
    ConfigurationError,
    AuthenticationError,
    AccessDeniedError,
    InvalidRequestError,
    JobNotFoundError,
    ConflictError,
    UploadTooLargeError,
)


EPILOG = """\
exit codes:
  0    success
  1    the job failed or expired
  2    a usage or input error: a bad option, file, ID, name or token; an output
       that cannot be written
  3    a service problem that outlasted the retries (network, rate limit,
       server): try again later
  130  interrupted (Ctrl-C): running the same command again picks up where it
       stopped

examples:
  compliance-frames demo
  compliance-frames check tweets.csv --id-col tweet_id --filtered kept.parquet
  compliance-frames all --type tweets --name my-dataset --ids-file ids.txt \\
      --results-file results.ndjson
  compliance-frames list --status in_progress

Run `compliance-frames COMMAND --help` for a command's options and examples."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand.

    Example:
        >>> build_parser().parse_args(["list", "--type", "users"]).type
        'users'
    """
    parser = argparse.ArgumentParser(
        prog="compliance-frames",
        formatter_class=HelpFormatter,
        description="Keep research datasets of tweets and accounts compliant with X. The bearer "
        "token is read from $BEARER_TOKEN; the API root from --base-url or $X_API_BASE_URL.",
        epilog=EPILOG,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"compliance-frames {__version__}",
        help="print the version and exit",
    )
    base_url_option(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    jobs.register(commands)
    checkcmd.register(commands)
    cleancmd.register(commands)
    serve.register(commands)
    democmd.register(commands)
    auditcmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code (also for ``--help`` and usage errors,
    which argparse ends with ``SystemExit``).

    Example:
        >>> main(["--version"])
        compliance-frames 0.1.0
        0
    """
    escaping = _escape_unprintable()
    try:
        with warnings.catch_warnings():  # shown anew on every call, put back after it
            parser = build_parser()
            try:
                args = parser.parse_args(argv)
            except SystemExit as exc:  # --help, --version, or a usage error argparse reported
                sys.stdout.flush()  # into a closed pipe: fails here, where it is caught
                return _exit_code(exc)
            terms = cli_terms(parser, args.command)  # hints in this subcommand's options
            args.terms = terms  # (reports printed in the same words)
            warnings.showwarning = functools.partial(_show_warning, terms=terms)
            with _library_log():
                code = _run(args, terms)
            sys.stdout.flush()  # the same: a closed pipe is found inside this try
            return code
    except BrokenPipeError:
        # The reader went away (`| head`): end quietly. Later output, and the
        # interpreter's final flush, go to the null device instead of failing again.
        silence(sys.stdout)
        return EXIT_OK
    finally:
        escaping()


class _LogLines(logging.Handler):
    """The library's log records of warning level (a retry, a job skipped) as lines in the
    command line's voice on standard error, not Python's bare last-resort output."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = printable(record.getMessage(), lines=True)
        except Exception:  # a record that cannot be formatted is no reason to fail
            return
        err(f"compliance-frames: {text}")


@contextlib.contextmanager
def _library_log() -> Iterator[None]:
    """Show the library's warnings as :class:`_LogLines` while a command runs."""
    logger = logging.getLogger("compliance_frames")
    handler = _LogLines(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _exit_code(exc: SystemExit) -> int:
    """The exit code a ``SystemExit`` carries (argparse's: 0 or 2)."""
    if exc.code is None:
        return EXIT_OK
    return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
    *,
    terms: Terms = CLI_EMPTY,
) -> None:
    """Show a library warning on the standard error of the moment, in the command
    line's voice, its hint in ``terms`` (dropped if nobody reads standard error any more)."""
    err(_warning_line(message, category, filename, lineno, line, terms=terms).rstrip("\n"))


def _escape_unprintable() -> Callable[[], None]:
    """Print what the terminal's encoding cannot show (a job name comes from the network)
    escaped, as standard error does, instead of failing; return how to undo it."""
    stream = sys.stdout
    before = getattr(stream, "errors", None)
    if not isinstance(stream, io.TextIOWrapper) or before is None:
        return lambda: None
    stream.reconfigure(errors="backslashreplace")

    def undo() -> None:
        with contextlib.suppress(ValueError, OSError):  # closed, or a pipe gone (it flushes)
            stream.reconfigure(errors=before)

    return undo


def _run(args: argparse.Namespace, terms: Terms = CLI_EMPTY) -> int:
    """Run the parsed command; turn its errors into messages (their hints in ``terms``)
    and exit codes."""
    import requests  # here, not at the top: --help does without it

    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        err("Interrupted. Running the same command again picks up where it stopped.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # the reader of the output went away: see main()
    except (JobFailedError, JobExpiredError, URLExpiredError) as exc:
        return _fail(exc, EXIT_JOB, terms)
    except USAGE_ERRORS as exc:
        return _fail(exc, EXIT_USAGE, terms)
    except (requests.RequestException, ConnectionError, TimeoutError) as exc:
        # The client turns these into NetworkError; one that slips through is no traceback.
        return _fail(
            f"A network problem outlasted the retries ({type(exc).__name__}). Check your "
            "network and try again later.",
            EXIT_SERVICE,
        )
    except OSError as exc:
        # A file: missing, a folder, unreadable, a full disk, a read-only file system...
        where = f": {shown_path(exc.filename)}" if exc.filename else ""
        return _fail(f"{os_problem(exc)}{where}. {os_advice(exc)}", EXIT_USAGE)
    except UnicodeDecodeError as exc:
        return _fail(
            f"A file is not UTF-8 text ({exc.reason} at byte {exc.start:,}). Save it as UTF-8 "
            "and run the command again.",
            EXIT_USAGE,
        )
    except ComplianceError as exc:
        return _fail(exc, EXIT_SERVICE, terms)
    return code


def _warning_line(
    message: Warning | str, *args: Any, terms: Terms = CLI_EMPTY, **kwargs: Any
) -> str:
    """A library warning as one line in the command line's voice (no source location),
    its hint in ``terms``."""
    text = message.render(terms) if isinstance(message, ComplianceWarning) else str(message)
    return f"compliance-frames: warning: {printable(text, lines=True)}\n"


def _fail(exc: BaseException | str, code: int, terms: Terms = CLI_EMPTY) -> int:
    """Say what went wrong on standard error, in the command line's words (a hint in
    ``terms``: this subcommand's options); return ``code``."""
    text = exc.render(terms) if isinstance(exc, ComplianceError) else str(exc)
    message = printable(text, lines=True)  # it may quote the service's words
    try:
        print(f"compliance-frames: error: {message}", file=sys.stderr, flush=True)
    except BrokenPipeError:  # nobody reads the errors either: the exit code says it
        silence(sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
