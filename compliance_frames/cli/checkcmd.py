"""``compliance-frames check``: a dataset file in, the flagged dataset out, a summary printed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..frames import check, filter, summary
from .common import connection_options, err, make_client, progress
from .tables import format_of, read_table, write_table


def register(commands: Any) -> None:
    """Add the ``check`` subcommand."""
    parser = commands.add_parser(
        "check",
        parents=[connection_options()],
        help="check a dataset file",
        description="Check the IDs of a CSV, Parquet or NDJSON dataset with X: print a summary, "
        "write the dataset with compliance columns added (--output) and the dataset as it may be "
        "kept (--filtered), in the format of each file's suffix.",
    )
    parser.add_argument("input", type=Path, help="the dataset (.csv, .parquet, .ndjson)")
    parser.add_argument("--id-col", required=True, help="the column of tweet (or user) IDs")
    parser.add_argument("--type", default="tweets", choices=["tweets", "users"])
    parser.add_argument("--user-col", help="also check the authors in this column (a users job)")
    parser.add_argument("--output", type=Path, help="write the flagged dataset here")
    parser.add_argument(
        "--filtered", type=Path, help="write the dataset without the removed rows here"
    )
    parser.add_argument(
        "--geo-columns", help="with --filtered: comma-separated columns to empty on scrub_geo rows"
    )
    parser.add_argument(
        "--edited",
        default="keep",
        choices=["keep", "drop"],
        help="with --filtered: keep edited posts (the report says how many to fetch again for "
        "their current version) or drop them (default: %(default)s)",
    )
    parser.add_argument(
        "--errors",
        default="raise",
        choices=["raise", "skip"],
        help="invalid IDs: stop (raise) or keep the rows unchecked (skip)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for target in (args.output, args.filtered):
        if target is not None:
            format_of(target)  # an unknown suffix fails before any job is run
    id_columns = [args.id_col] + ([args.user_col] if args.user_col else [])
    frame = read_table(args.input, id_columns)
    err(f"Read {frame.height:,} rows from {args.input}.")
    geo = [c.strip() for c in args.geo_columns.split(",")] if args.geo_columns else None
    missing = [name for name in [*id_columns, *(geo or [])] if name not in frame.columns]
    if missing:  # before any job runs or any file is written
        raise InputError(
            f"No column {missing[0]!r} in {args.input}; its columns are "
            f"{', '.join(frame.columns[:20])}."
        )
    client = make_client(args)
    flagged = check(
        frame,
        args.id_col,
        args.type,
        user_col=args.user_col,
        client=client,
        errors=args.errors,
        progress=progress(args),
    )
    print(summary(flagged))
    if args.output is not None:
        print(f"\nWrote the flagged dataset to {write_table(flagged, args.output)}.")
    if args.filtered is not None:
        cleaned, report = filter(
            frame,
            args.id_col,
            args.type,
            user_col=args.user_col,
            client=client,
            errors=args.errors,
            geo_columns=geo,
            edited=args.edited,
            progress=False,
            report=False,
            return_report=True,
        )
        print(f"\n{report}\nWrote the filtered dataset to {write_table(cleaned, args.filtered)}.")
    if args.output is None and args.filtered is None:
        print(
            "\nNothing written: pass --output FILE for the flagged dataset, --filtered FILE for "
            "the dataset as it may be kept."
        )
    return 0
