"""``create``, ``list``, ``get``, ``upload``, ``download`` and ``all``: the official example
client's commands, with checked statuses, polite waiting and exact name lookup; and
``cancel``, the 2026 service's way to free a job type at once."""

from __future__ import annotations

import argparse
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from ..models import JobStatus
from .common import (
    UsageError,
    add_command,
    api_options,
    check_writable,
    err,
    examples,
    find_job,
    job_run_options,
    job_selection,
    json_option,
    make_client,
    next_steps,
    poll_option,
    print_job,
    print_jobs,
    progress,
    progress_option,
    type_option,
    when,
    writing,
)

EXIT_JOB = 1

RESUMABLE_HELP = (
    "upload with the resumable protocol (the older storage-host flow only: X's 2026 "
    "service refuses it, and the job is then created without it; default: a plain upload)"
)


def register(commands: Any) -> None:
    """Add the job subcommands."""
    create = add_command(
        commands,
        "create",
        help="create a job",
        description="Create a batch compliance job, print it and the next step.",
        epilog=examples(
            "compliance-frames create --type tweets --name my-dataset-2026-11",
            "compliance-frames create --type users --name authors --json",
        ),
    )
    type_option(create, "what the IDs are: tweet IDs or user IDs", required=True)
    create.add_argument(
        "--name", required=True, help="a name to find the job by (at most 64 characters)"
    )
    create.add_argument("--resumable", action="store_true", help=RESUMABLE_HELP)
    json_option(create)
    api_options(create)
    create.set_defaults(run=run_create)

    listing = add_command(
        commands,
        "list",
        help="list jobs",
        description="List jobs, newest first (both types unless --type).",
        epilog=examples(
            "compliance-frames list",
            "compliance-frames list --type tweets --status complete",
            "compliance-frames list --name my-dataset --json",
        ),
    )
    type_option(listing, "only jobs of this type (default: both)")
    listing.add_argument(
        "--status",
        choices=[s.value for s in JobStatus],
        help="only jobs in this status (default: all)",
    )
    listing.add_argument("--name", help="only jobs with exactly this name (default: all)")
    json_option(listing)
    api_options(listing)
    listing.set_defaults(run=run_list)

    get = add_command(
        commands,
        "get",
        help="show a job",
        description="Show one job, by id or by name, and what to do next with it. Exit code "
        "1 if it failed or expired.",
        epilog=examples(
            "compliance-frames get 1460323737035677698",
            "compliance-frames get --name my-dataset --type tweets",
            "compliance-frames get 1460323737035677698 --json",
        ),
    )
    job_selection(get, positional=True)
    json_option(get)
    api_options(get)
    get.set_defaults(run=run_get)

    cancel = add_command(
        commands,
        "cancel",
        help="cancel a job that has not finished",
        description="Cancel a job that is created or in progress: X marks it failed, and a new "
        "job of its type can be created at once. With --name, the one unfinished job of that "
        "name is meant.",
        epilog=examples(
            "compliance-frames cancel 1460323737035677698",
            "compliance-frames cancel --name my-dataset",
        ),
    )
    job_selection(cancel, positional=True)
    json_option(cancel)
    api_options(cancel)
    cancel.set_defaults(run=run_cancel)

    upload = add_command(
        commands,
        "upload",
        help="upload IDs to a job",
        description="Upload a file of IDs to a created job, before its upload URL expires "
        "(15 minutes after it was created). The IDs are checked, de-duplicated and sorted "
        "first; an invalid one stops the upload before anything is sent.",
        epilog=examples(
            "compliance-frames upload --id 1460323737035677698 --ids-file ids.txt",
            "compliance-frames upload --name my-dataset --ids-file ids.txt --no-progress",
        ),
    )
    job_selection(upload)
    upload.add_argument(
        "--ids-file",
        required=True,
        type=Path,
        metavar="PATH",
        help="the IDs to upload: a text file of one tweet (or user) ID per line",
    )
    progress_option(upload)
    api_options(upload)
    upload.set_defaults(run=run_upload)

    download = add_command(
        commands,
        "download",
        help="download a job's results",
        description="Wait for a job to complete (unless --no-wait) and download its results: "
        "one JSON record per compliance event (an ID with no event has no record).",
        epilog=examples(
            "compliance-frames download --id 1460323737035677698 --results-file results.ndjson",
            "compliance-frames download --name my-dataset --results-file results.ndjson --no-wait",
        ),
    )
    job_selection(download)
    download.add_argument(
        "--results-file",
        required=True,
        type=Path,
        metavar="PATH",
        help="where to write the results (NDJSON), whole or not at all; missing folders are made",
    )
    download.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if the job is not complete (default: wait for it)",
    )
    poll_option(download)
    progress_option(download)
    api_options(download)
    download.set_defaults(run=run_download)

    everything = add_command(
        commands,
        "all",
        help="create, upload, wait and download in one go",
        description="Create a job (or find it again: running the same command twice is safe), "
        "upload the IDs, wait with a progress bar and download the results. More IDs than one "
        "upload takes are split over several jobs, one after the other.",
        epilog=examples(
            "compliance-frames all --type tweets --name my-dataset --ids-file ids.txt "
            "--results-file results.ndjson",
            "BEARER_TOKEN=... compliance-frames all --type users --name authors \\",
            "    --ids-file user_ids.txt --results-file users.ndjson --no-progress",
        ),
    )
    type_option(everything, "what the IDs are: tweet IDs or user IDs", required=True)
    everything.add_argument(
        "--name",
        required=True,
        help="the job's name: the same command with the same name finds its job again",
    )
    everything.add_argument(
        "--ids-file",
        required=True,
        type=Path,
        metavar="PATH",
        help="the IDs to check: a text file of one tweet (or user) ID per line",
    )
    everything.add_argument(
        "--results-file",
        required=True,
        type=Path,
        metavar="PATH",
        help="where to write the results (NDJSON), whole or not at all; missing folders are made",
    )
    everything.add_argument("--resumable", action="store_true", help=RESUMABLE_HELP)
    job_run_options(everything)
    everything.set_defaults(run=run_all)


def run_create(args: argparse.Namespace) -> int:
    client = make_client(args)
    job = client.create_job(args.type, args.name, args.resumable)
    print_job(job, args.json)
    if not args.json:
        print(f"\n{next_steps(job)}")
    others = [other for other in client.find_jobs(args.name) if other.id != job.id]
    if others:  # X allows it; --name alone can no longer tell them apart
        err(
            f"Note: {len(others)} other job(s) are named {args.name!r} "
            f"({', '.join(other.id for other in others[:5])}); refer to this one with "
            f"--id {job.id}."
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    client = make_client(args)
    jobs = client.list_jobs(args.type, args.status)
    if args.name is not None:
        jobs = [job for job in jobs if job.name == args.name]
    if not jobs and not args.json:
        which = " ".join(part for part in (args.status, args.type) if part) or "compliance"
        named = f" named {args.name!r}" if args.name else ""
        hint = (
            ""
            if args.status or args.name
            else (" Create one with:\n  compliance-frames create --type tweets --name NAME")
        )
        print(f"No {which} jobs{named}.{hint}")
        return 0
    print_jobs(jobs, args.json)
    return 0


def run_get(args: argparse.Namespace) -> int:
    client = make_client(args)
    job = find_job(client, args)
    print_job(job, args.json)
    if not args.json:
        print(f"\n{next_steps(job)}")
    return EXIT_JOB if job.status in (JobStatus.FAILED, JobStatus.EXPIRED) else 0


def run_cancel(args: argparse.Namespace) -> int:
    client = make_client(args)
    job = None
    if args.name is not None:  # names repeat; the unfinished one is the one to cancel
        unfinished = [j for j in client.find_jobs(args.name, args.type) if not j.status.is_terminal]
        job = unfinished[0] if len(unfinished) == 1 else None
    cancelled = client.cancel_job(job or find_job(client, args))
    print_job(cancelled, args.json)
    if not args.json:
        print(
            f"\nCancelled {cancelled.describe()}: a new {cancelled.type.value} job can be "
            "created now."
        )
    return 0


def run_upload(args: argparse.Namespace) -> int:
    client = make_client(args)
    job = find_job(client, args)
    if job.status in (JobStatus.IN_PROGRESS, JobStatus.COMPLETE):  # expired: see upload_ids
        raise UsageError(
            f"{job.describe()} is {job.status.value}: a job takes IDs only once, while "
            f"'created'.\n{next_steps(job)}"
        )
    count = client.upload_ids(job, args.ids_file, progress=progress(args))
    print(f"Uploaded {count:,} distinct IDs to {job.describe()}.")
    print(next_steps(client.get_job(job)))
    return 0


def run_download(args: argparse.Namespace) -> int:
    check_writable(args.results_file, "--results-file")  # before waiting hours for the job
    client = make_client(args)
    job = find_job(client, args)
    if job.status is JobStatus.CREATED:  # waiting would last until it expires
        raise UsageError(f"{job.describe()} has no IDs yet.\n{next_steps(job)}")
    if job.status is not JobStatus.COMPLETE:
        if args.no_wait:
            print(f"{job.describe()} is {job.status.value}, not complete.\n{next_steps(job)}")
            return EXIT_JOB if job.status in (JobStatus.FAILED, JobStatus.EXPIRED) else 2
        job = client.wait(job, progress=progress(args))
    again = (
        f"Run the same command again once that is fixed: the results can be downloaded "
        f"until {when(job.download_expires_at)}."
    )
    with writing(args.results_file, "--results-file", again=again):
        path = client.download_results(job, args.results_file, progress=progress(args))
    print(f"Wrote {_describe_results([path])} to {path}.")
    return 0


def run_all(args: argparse.Namespace) -> int:
    from ..client import IdSet
    from ..files import atomic_write

    check_writable(args.results_file, "--results-file")  # before any job is created
    client = make_client(args)
    ids = IdSet.from_file(args.ids_file)
    err(f"{ids.count:,} distinct IDs read from {args.ids_file}.")
    try:
        result = client.run_job(
            ids, args.type, name=args.name, resumable=args.resumable, progress=progress(args)
        )
    finally:
        ids.discard()
    again = (
        "Run the same command again once that is fixed: it finds the same job and its "
        "results again, no new job is needed."
    )
    with (
        writing(args.results_file, "--results-file", again=again),
        atomic_write(args.results_file) as sink,
    ):
        for path in result.paths:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, sink)
    jobs = ", ".join(job.id for job in result.jobs) or "none (no IDs)"
    print(f"Job {jobs}: wrote {_describe_results(list(result.paths))} to {args.results_file}.")
    return 0


def _describe_results(paths: list[Path]) -> str:
    """``3 records (2 deleted, 1 protected)``."""
    from ..frames import read_results

    table = read_results(paths)
    counts = Counter(str(reason) for reason in table["reason"].to_list())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    detail = ", ".join(f"{n:,} {reason}" for reason, n in ordered)
    return f"{table.height:,} records" + (f" ({detail})" if detail else " (no compliance events)")
