"""What the subcommands share: options, the client, finding a job, printing jobs.

The bearer token comes from ``BEARER_TOKEN`` only, never from an option: options end
up in shell history and process lists.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from ..client import Client
from ..errors import ComplianceError
from ..models import ComplianceJob, JobStatus


class UsageError(ComplianceError):
    """The command line was used wrongly (exit code 2); the message says how to fix it."""


def connection_options() -> argparse.ArgumentParser:
    """``--base-url`` and ``--no-progress``, for every subcommand that talks to the API."""
    parent = argparse.ArgumentParser(add_help=False)
    base_url_option(parent, default=argparse.SUPPRESS)  # keeps one given before the command
    parent.add_argument("--no-progress", action="store_true", help="no progress bars")
    parent.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="first wait between status checks; it grows with the job's age (default: 5)",
    )
    parent.add_argument(
        "--max-retries",
        type=int,
        default=5,
        metavar="N",
        help="retries after 429s, 5xx answers and dropped connections (default: 5)",
    )
    return parent


def base_url_option(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """``--base-url``, accepted before the subcommand and after it."""
    parser.add_argument(
        "--base-url",
        default=default,
        help="API root (default: $X_API_BASE_URL, else https://api.x.com); the token is read "
        "from $BEARER_TOKEN",
    )


def json_option(parser: argparse.ArgumentParser) -> None:
    """``--json``: print jobs as JSON, as the API writes them."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def job_selection(parser: argparse.ArgumentParser, *, positional: bool = False) -> None:
    """Select a job by id or by name (``--type`` narrows a name to one type)."""
    group = parser.add_mutually_exclusive_group(required=True)
    if positional:
        group.add_argument("id", nargs="?", help="the job's id")
    else:
        group.add_argument("--id", help="the job's id")
    group.add_argument("--name", help="the job's name (it must match exactly one job)")
    parser.add_argument(
        "--type", choices=["tweets", "users"], help="with --name: only jobs of this type"
    )


def make_client(args: argparse.Namespace) -> Client:
    """A client from ``--base-url`` / the environment."""
    return Client(
        base_url=args.base_url,
        max_retries=args.max_retries,
        poll_interval=args.poll_interval,
        max_poll_interval=max(120.0, args.poll_interval),
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
            + f". The most recent jobs:\n{listed}\nUse --id, or one of these names."
        )
    listed = "\n".join(job_line(job) for job in candidates)
    raise UsageError(
        f"{len(candidates)} jobs are named {args.name!r}:\n{listed}\n"
        "Choose one with --id" + ("" if args.type else " (or narrow with --type)") + "."
    )


def when(moment: datetime) -> str:
    """A timestamp for people: ``2021-10-07 07:41 UTC``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def job_line(job: ComplianceJob) -> str:
    """One line per job, for lists."""
    name = job.name if job.name is not None else "-"
    created = when(job.created_at)
    return f"  {job.id:<20} {job.type.value:<7} {job.status.value:<12} {created:<21} {name}"


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
        ("job", job.id),
        ("name", job.name or "-"),
        ("type", job.type.value),
        ("status", job.status.value),
        ("resumable", "yes" if job.resumable else "no"),
        ("created", when(job.created_at)),
        ("upload until", f"{when(job.upload_expires_at)} ({upload_state})"),
        ("download until", f"{when(job.download_expires_at)} ({download_state})"),
    ]
    if job.error:
        rows.append(("error", job.error))
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


def err(message: str) -> None:
    """A line for the user on standard error."""
    print(message, file=sys.stderr)
