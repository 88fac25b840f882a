"""Entry point: builds the parser from the subcommand modules and runs one.

Exit codes: 0 success, 1 a job failed or expired, 2 a usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import serve

EXIT_OK = 0
EXIT_JOB = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="compliance-frames",
        description="Keep research datasets of tweets and accounts compliant with X.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
