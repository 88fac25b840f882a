"""The demo: the whole product on the embedded emulator, with no X account.

Checks the sample research dataset's tweets and authors (two batch compliance jobs at
once), prints the summary, and writes the flagged and the filtered datasets.

Example:
    >>> result = run_demo("compliance-frames-demo", progress=False)  # doctest: +SKIP
    >>> result.kept  # doctest: +SKIP
    23604
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl

from .client import Client
from .emulator import Emulator
from .files import atomic_write
from .frames import ComplianceSummary, FilterReport, filter, summary
from .hints import Terms
from .sample import SAMPLE_PATH, load_sample


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced."""

    flagged_path: Path
    filtered_path: Path
    summary: ComplianceSummary
    report: FilterReport
    seconds: float

    @property
    def kept(self) -> int:
        """Rows of the filtered dataset."""
        return self.report.rows_out


def run_demo(
    output_dir: str | os.PathLike[str] = "compliance-frames-demo",
    *,
    progress: bool = True,
    processing_seconds: float = 2.0,
    say: Callable[..., None] = print,
    terms: Terms | None = None,
) -> DemoResult:
    """Run the demo, writing into ``output_dir``; return what it did. The report's advice
    is in ``terms`` (the command line's, from ``compliance-frames demo``), else Python's."""
    started = time.perf_counter()
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    say("Starting the X batch compliance emulator on 127.0.0.1 (offline: no X account needed)...")
    with Emulator(processing_seconds=processing_seconds) as emulator:
        client = Client(
            emulator.bearer_token,
            emulator.base_url,
            results_dir=folder / "cache",
            poll_interval=0.5,
            max_poll_interval=2.0,
        )
        tweets = load_sample().to_pandas()
        where = SAMPLE_PATH if SAMPLE_PATH.exists() else "a freshly generated sample"
        authors = tweets["author_id"].nunique()
        say(
            f"Loaded {len(tweets):,} tweets by {authors:,} authors from {where}.\n"
            "Checking the tweets and their authors: a tweets job and a users job, side by side..."
        )
        flagged = tweets.compliance.check(
            "tweet_id", user_col="author_id", client=client, progress=progress
        )
        result = summary(flagged)
        say("", result, sep="\n")
        cleaned, report = filter(
            tweets,
            "tweet_id",
            user_col="author_id",
            geo_columns=["place", "lat", "lon"],
            client=client,
            progress=False,
            report=False,
            return_report=True,
        )  # the same IDs: the jobs from above are found again, nothing is re-run
        client.close()
    flagged_path = _write(flagged, folder / "flagged.parquet")
    filtered_path = _write(cleaned, folder / "filtered.parquet")
    seconds = time.perf_counter() - started
    say(
        f"\n{report.render(terms)}\n\n"
        f"Wrote the flagged dataset ({len(flagged):,} rows, compliance columns added) to\n"
        f"  {flagged_path.resolve()}\nand the filtered one ({len(cleaned):,} rows) to\n"
        f"  {filtered_path.resolve()}\nDone in {seconds:.0f} s.\n\n"
        "On your own data, with your own bearer token (export BEARER_TOKEN=...):\n"
        "  import compliance_frames, pandas as pd\n"
        "  tweets = pd.read_parquet('tweets.parquet')\n"
        "  cleaned = tweets.compliance.filter('tweet_id', user_col='author_id')\n"
        "or: compliance-frames check tweets.parquet --id-col tweet_id --user-col author_id "
        "--output flagged.parquet"
    )
    return DemoResult(flagged_path, filtered_path, result, report, seconds)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    with atomic_write(path) as sink:
        pl.from_pandas(frame).write_parquet(sink)
    return path
