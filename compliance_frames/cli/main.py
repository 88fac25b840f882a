"""Entry point: builds the parser from the subcommand modules and runs one.

Exit codes: 0 success; 1 the job failed or expired; 2 a usage or input error (a bad
option, file, ID, name or token); 3 a service problem that outlasted the retries
(network, rate limit, server): try again later. The command line never prompts.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ..errors import (
    AccessDeniedError,
    AuthenticationError,
    ComplianceError,
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
from . import checkcmd, democmd, jobs, serve
from .common import UsageError, base_url_option

EXIT_OK = 0
EXIT_JOB = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3

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


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="compliance-frames",
        description="Keep research datasets of tweets and accounts compliant with X. The bearer "
        "token is read from $BEARER_TOKEN; the API root from --base-url or $X_API_BASE_URL.",
        epilog="Exit codes: 0 ok, 1 job failed or expired, 2 usage or input error, "
        "3 service problem (try again later).",
    )
    base_url_option(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    jobs.register(commands)
    checkcmd.register(commands)
    serve.register(commands)
    democmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    saved, warnings.formatwarning = warnings.formatwarning, _warning_line
    try:
        return _run(args)
    finally:
        warnings.formatwarning = saved


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; turn its errors into messages and exit codes."""
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print(
            "Interrupted. Running the same command again picks up where it stopped.",
            file=sys.stderr,
        )
        return 130
    except (JobFailedError, JobExpiredError, URLExpiredError) as exc:
        return _fail(exc, EXIT_JOB)
    except USAGE_ERRORS as exc:
        return _fail(exc, EXIT_USAGE)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        # A file named on the command line: an input error, said without a traceback.
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{where}. Check the path and try again.", EXIT_USAGE)
    except ComplianceError as exc:
        return _fail(exc, EXIT_SERVICE)
    return code


# The library's hints name Python arguments; on the command line they are options.
_CLI_SPELLING = {
    "errors='skip'": "--errors skip",
    "use type='tweets'": "use --type tweets",
    "Client().list_jobs()": "`compliance-frames list`",
    "list_jobs() or find_jobs(name)": "`compliance-frames list`",
}


def _warning_line(message: Warning | str, *args: Any, **kwargs: Any) -> str:
    """A library warning as one line in the command line's voice (no source location)."""
    return f"compliance-frames: warning: {message}\n"


def _fail(exc: BaseException | str, code: int) -> int:
    message = str(exc)
    for python, option in _CLI_SPELLING.items():
        message = message.replace(python, option)
    print(f"compliance-frames: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
