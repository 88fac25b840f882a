"""Check tweets and their authors with polars, and describe the result for a paper.

    python examples/tweets_and_authors.py

A tweets job only reports what happened to the tweets; what happened to their
authors (deleted, suspended, protected accounts) takes a users job. ``user_col``
runs both at once and flags each tweet for either, keeping which one it was.
"""

from __future__ import annotations

import contextlib
import os

import polars as pl

import compliance_frames
from compliance_frames.emulator import Emulator
from compliance_frames.sample import load_sample


def main() -> None:
    with contextlib.ExitStack() as stack:
        if "BEARER_TOKEN" not in os.environ:
            emulator = stack.enter_context(Emulator(processing_seconds=1))
            os.environ.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
        tweets = load_sample()
        flagged = tweets.compliance.check("tweet_id", user_col="author_id")
        print(
            flagged.group_by("compliance_reason", "compliance_user_reason")
            .len()
            .sort("len", descending=True)
        )
        # Only the author is gone: the tweet itself was not deleted.
        orphaned = flagged.filter(
            pl.col("compliance_reason").is_null() & pl.col("compliance_user_reason").is_not_null()
        )
        print(f"{orphaned.height:,} tweets are unavailable only because of their author")
        summary = compliance_frames.summary(flagged)
        print(summary.sentence())
        try:
            import matplotlib

            matplotlib.use("Agg")
            compliance_frames.plot_summary(summary).figure.savefig(
                "compliance-summary.png", dpi=120
            )
            print("Saved the plot to compliance-summary.png")
        except ImportError:
            print('For the plot: pip install "compliance-frames[plot]"')


if __name__ == "__main__":
    main()
