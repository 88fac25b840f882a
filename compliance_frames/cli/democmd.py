"""``compliance-frames demo``: the product end to end on the embedded emulator."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import UsageError, add_command, check_writable, examples, progress_option


def register(commands: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = add_command(
        commands,
        "demo",
        help="see it work offline, with no X account",
        description="Check a sample research dataset (30,000 synthetic tweets) on the embedded "
        "emulator, print the summary and write the flagged and filtered datasets. No token and "
        "no network are needed.",
        epilog=examples(
            "compliance-frames demo",
            "compliance-frames demo --output-dir /tmp/demo --no-progress",
        ),
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("compliance-frames-demo"),
        metavar="FOLDER",
        help="where to write the results; created if missing (default: %(default)s)",
    )
    progress_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo once ``--output-dir`` is known to be a folder that can be written."""
    folder: Path = args.output_dir
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"--output-dir {folder} is a file: give a folder (it is created if missing)."
        )
    check_writable(folder / "flagged.parquet", "--output-dir")
    from ..demo import run_demo  # here, not at the top: --help does without pandas

    run_demo(folder, progress=not args.no_progress, terms=getattr(args, "terms", None))
    return 0
