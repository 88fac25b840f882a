"""``compliance-frames clean-jsonl``: a twarc2 collection in, the compliant collection out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import (
    UsageError,
    add_command,
    check_writable,
    examples,
    job_run_options,
    make_client,
    os_advice,
    os_problem,
    progress,
    say,
    writing,
)


def register(commands: Any) -> None:
    """Add the ``clean-jsonl`` subcommand."""
    parser = add_command(
        commands,
        "clean-jsonl",
        help="make a twarc2 collection (JSON lines) compliant",
        description="Check every post and account a twarc2 collection holds with X (one posts "
        "job and one accounts job) and write the collection as it may be kept: removed posts, "
        "posts of removed accounts and retweets of removed posts dropped, stored copies of "
        "removed posts and profiles taken out of includes, scrubbed geo emptied. Reads API v2 "
        "pages as twarc2 writes them, flattened lines and one post a line. OUT is written whole "
        "or not at all.",
        epilog=examples(
            "compliance-frames clean-jsonl tweets.jsonl clean.jsonl",
            "compliance-frames clean-jsonl tweets.jsonl clean.jsonl --report report.json \\",
            "    --edited drop",
        ),
    )
    parser.add_argument("input", type=Path, metavar="IN", help="the twarc2 collection (.jsonl)")
    parser.add_argument(
        "output", type=Path, metavar="OUT", help="where to write the compliant collection"
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write what each rule removed, the jobs and the edited posts as JSON here",
    )
    parser.add_argument(
        "--receipt",
        type=Path,
        metavar="FILE",
        help="also write a deletion receipt here: each removed post and account with its "
        "reason, rule and the date X answered (.csv, else JSON lines)",
    )
    parser.add_argument(
        "--edited",
        default="keep",
        choices=["keep", "drop"],
        help="keep edited posts (the report lists them, to fetch again for their current "
        "version) or drop them (default: %(default)s)",
    )
    job_run_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Clean the collection; both outputs are checked writable before any job runs."""
    from ..files import atomic_write
    from ..jsonl import clean_jsonl

    try:
        with open(args.input, "rb"):
            pass
    except OSError as exc:
        raise UsageError(
            f"Cannot read IN {args.input}: {os_problem(exc)}. {os_advice(exc)}"
        ) from None
    check_writable(args.output, "OUT")
    if args.report is not None:
        check_writable(args.report, "--report")
    if args.receipt is not None:
        check_writable(args.receipt, "--receipt")
    again = "Run the same command again: the jobs' results are kept, no new job runs."
    with writing(args.output, "OUT", again=again):
        report = clean_jsonl(
            args.input,
            args.output,
            client=make_client(args),
            edited=args.edited,
            progress=progress(args),
            receipt=args.receipt,
        )
    say(str(report))
    if args.report is not None:
        with writing(args.report, "--report", again=again), atomic_write(args.report) as sink:
            sink.write(report.to_json().encode("utf-8"))
        say(f"Wrote the report to {args.report}.")
    if args.receipt is not None:
        say(f"Wrote the deletion receipt to {args.receipt}.")
    return 0
