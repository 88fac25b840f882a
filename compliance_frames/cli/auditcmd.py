"""``compliance-frames audit``: the audit log of the cache folder, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from .common import UsageError, add_command, examples, say


def register(commands: Any) -> None:
    """Add the ``audit`` subcommand."""
    parser = add_command(
        commands,
        "audit",
        help="print the audit log: what was checked and removed, when",
        description="Print the audit log kept in the cache folder ($COMPLIANCE_FRAMES_CACHE, "
        "else ~/.cache/compliance-frames): one line per check, filter or clean-jsonl run, "
        "with the jobs, the counts of IDs and of each reason, the rows removed and a digest "
        "of the IDs. No log yet is an empty result.",
        epilog=examples(
            "compliance-frames audit",
            "compliance-frames audit --since 2026-01-01 --json > audit.jsonl",
        ),
    )
    parser.add_argument(
        "--since",
        metavar="DATE",
        help="only the runs of this day (YYYY-MM-DD, UTC) or later (default: all)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the log's lines as they are (JSON lines) instead of a table",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the log (a table, or its lines with ``--json``)."""
    from ..audit import audit_path, read_log
    from ..files import cache_dir

    since = None
    if args.since is not None:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            raise UsageError(
                f"--since takes a date as YYYY-MM-DD (such as 2026-01-31), not {args.since!r}."
            ) from None
    folder = cache_dir()
    lines = read_log(folder, since)
    if args.json:
        for line in lines:
            say(json.dumps(line, separators=(",", ":")))
        return 0
    if not lines:
        say(f"No runs recorded in {audit_path(folder)}" + (f" since {since}." if since else "."))
        return 0
    say(f"{'time (UTC)':<20} {'kind':<12} {'IDs':>12} {'removed':>9}  jobs")
    for line in lines:
        ids = ", ".join(f"{count:,} {kind}" for kind, count in line.get("ids", {}).items())
        removed = line.get("removed", line.get("flagged", ""))
        jobs = " ".join(str(job.get("id", "")) for job in line.get("jobs", []))
        time = str(line.get("time", ""))[:19].replace("T", " ")
        text = f"{removed:,}" if isinstance(removed, int) else ""
        say(f"{time:<20} {line.get('kind', '')!s:<12} {ids:>12} {text:>9}  {jobs}")
    say(f"\n{len(lines):,} runs recorded in {audit_path(folder)}.")
    return 0
