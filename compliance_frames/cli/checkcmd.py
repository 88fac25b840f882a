"""``compliance-frames check``: a dataset file in, the flagged dataset out, a summary printed."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import InputError
from .common import (
    UsageError,
    add_command,
    check_writable,
    err,
    examples,
    job_run_options,
    make_client,
    progress,
    say,
    type_option,
)


def register(commands: Any) -> None:
    """Add the ``check`` subcommand."""
    parser = add_command(
        commands,
        "check",
        help="check a dataset file",
        description="Check the IDs of a CSV, Parquet or NDJSON dataset with X: print a summary, "
        "write the dataset with compliance columns added (--output) and the dataset as it may be "
        "kept (--filtered), in the format of each file's suffix (.csv, .parquet, .ndjson). "
        "Every output is checked before any job runs; each is written whole or not at all.",
        epilog=examples(
            "compliance-frames check tweets.csv --id-col tweet_id --output flagged.parquet",
            "compliance-frames check tweets.parquet --id-col id --user-col author_id \\",
            "    --filtered kept.parquet --geo-columns lat,lon --edited drop",
            "compliance-frames check accounts.csv --id-col user_id --type users --errors skip",
            "compliance-frames check twarc.parquet --id-col id --user-col author_id \\",
            "    --tweet-refs referenced_tweets.retweeted.id referenced_tweets.quoted.id \\",
            "    --retweet-of referenced_tweets.retweeted.id --user-refs entities.mentions \\",
            "    --filtered kept.parquet",
        ),
    )
    parser.add_argument(
        "input", type=Path, metavar="DATASET", help="the dataset (.csv, .parquet, .ndjson)"
    )
    parser.add_argument(
        "--id-col", required=True, metavar="COLUMN", help="the column of tweet (or user) IDs"
    )
    type_option(
        parser,
        "what --id-col holds: tweet IDs or user IDs (default: %(default)s)",
        default="tweets",
    )
    parser.add_argument(
        "--user-col",
        metavar="COLUMN",
        help="also check the authors in this column (a users job; default: none)",
    )
    parser.add_argument(
        "--tweet-refs",
        nargs="+",
        metavar="COLUMN",
        help="further columns of post IDs (quoted, retweeted, replied-to posts), one ID or a "
        "list per row: checked in the same posts job (default: none)",
    )
    parser.add_argument(
        "--user-refs",
        nargs="+",
        metavar="COLUMN",
        help="further columns of account IDs (mentioned accounts, ...), one ID or a list per "
        "row: checked in the same accounts job (default: none)",
    )
    parser.add_argument(
        "--retweet-of",
        nargs="+",
        metavar="COLUMN",
        help="those of --tweet-refs that hold the post a row retweets: the row goes when that "
        "post was removed (default: none)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="write the flagged dataset here: every row, compliance columns added",
    )
    parser.add_argument(
        "--filtered",
        type=Path,
        metavar="PATH",
        help="write the dataset as it may be kept here: removed rows dropped, scrubbed geo emptied",
    )
    parser.add_argument(
        "--receipt",
        type=Path,
        metavar="FILE",
        help="with --filtered: also write a deletion receipt here, each removed ID with its "
        "reason, rule and the date X answered (.csv, else JSON lines)",
    )
    parser.add_argument(
        "--geo-columns",
        metavar="COLUMNS",
        help="with --filtered: comma-separated columns to empty on scrub_geo rows (default: none)",
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
        help="invalid IDs: stop with their rows named (raise) or keep those rows unchecked "
        "(skip) (default: %(default)s)",
    )
    job_run_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the dataset; every output is checked before any job runs.

    The lines printed on standard output go on to the end even when nobody reads them
    any more (``| head -1``): the files are written all the same.
    """
    from .. import audit
    from ..frames import check, summary
    from ..frames.checking import recording
    from ..frames.filtering import filter_checked
    from .tables import check_format, format_of, read_table, write_table

    targets = {"--output": args.output, "--filtered": args.filtered}
    targets = {option: path for option, path in targets.items() if path is not None}
    for option, target in targets.items():
        check_writable(target, option)  # a folder, a read-only place, an unknown suffix:
        format_of(target)  # all refused before any job runs
    if args.receipt is not None:
        if args.filtered is None:
            raise UsageError(
                "--receipt lists the rows --filtered removes: give --filtered PATH too."
            )
        check_writable(args.receipt, "--receipt")
    if len(targets) == 2 and _same_file(args.output, args.filtered):
        raise UsageError(
            f"--output and --filtered name the same file ({args.output}): the filtered dataset "
            "would replace the flagged one. Give them different names."
        )
    id_columns = [args.id_col] + ([args.user_col] if args.user_col else [])
    frame = read_table(args.input, id_columns)
    err(f"Read {frame.height:,} rows from {args.input}.")
    geo = [c.strip() for c in args.geo_columns.split(",")] if args.geo_columns else None
    refs = [*(args.tweet_refs or []), *(args.user_refs or [])]
    missing = [name for name in [*id_columns, *refs, *(geo or [])] if name not in frame.columns]
    if missing:  # before any job runs or any file is written
        raise InputError(
            f"No column {missing[0]!r} in {args.input}; its columns are "
            f"{', '.join(frame.columns[:20])}."
        )
    for option, target in targets.items():
        check_format(frame, target, option)  # CSV holds no lists, say: before any job
    client = make_client(args)
    columns: dict[str, Any] = {
        "user_col": args.user_col,
        "tweet_refs": args.tweet_refs,
        "user_refs": args.user_refs,
        "retweet_of": args.retweet_of,
        "errors": args.errors,
    }  # (the check's and the filter's alike)
    with recording() as records:  # kept for the filter below: the check runs once
        flagged = check(
            frame, args.id_col, args.type, client=client, progress=progress(args), **columns
        )
    for chosen, line in records:
        audit.append(chosen.cache_dir, line)
    say(str(summary(flagged, type=args.type)))
    if args.output is not None:
        say(f"\nWrote the flagged dataset to {write_table(flagged, args.output, '--output')}.")
    if args.filtered is not None:
        cleaned, report = filter_checked(
            flagged,
            records,
            args.id_col,
            args.type,
            **columns,
            geo_columns=geo,
            edited=args.edited,
            report=False,
            return_report=True,
            receipt=args.receipt,
        )
        say(f"\n{report.render(getattr(args, 'terms', None))}")
        written = write_table(cleaned, args.filtered, "--filtered")
        say(f"Wrote the filtered dataset to {written}.")
        if args.receipt is not None:
            say(f"Wrote the deletion receipt to {args.receipt}.")
    if args.output is None and args.filtered is None:
        say(
            "\nNothing written: pass --output FILE for the flagged dataset, --filtered FILE for "
            "the dataset as it may be kept."
        )
    return 0


def _same_file(first: Path, second: Path) -> bool:
    """Whether two output paths name one file (``out.csv`` and ``./out.csv`` do)."""
    return os.path.abspath(first) == os.path.abspath(second) or (
        first.exists() and second.exists() and os.path.samefile(first, second)
    )
