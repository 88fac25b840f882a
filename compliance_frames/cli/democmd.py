"""``compliance-frames demo``: the product end to end on the embedded emulator."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..demo import run_demo


def register(commands: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = commands.add_parser(
        "demo",
        help="see it work offline, with no X account",
        description="Check a sample research dataset (30,000 synthetic tweets) on the embedded "
        "emulator, print the summary and write the flagged and filtered datasets.",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("compliance-frames-demo"),
        help="where to write the results (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    run_demo(args.output_dir, progress=not args.no_progress)
    return 0
