"""Filter a research dataset down to what X's terms allow you to keep.

    python examples/filter_dataset.py [DATASET.parquet] [CLEANED.parquet]

Drops tweets that were deleted, suspended, protected or deactivated (their own or
their author's), empties the geo columns where X scrubbed geo data, and writes the
cleaned dataset. With $BEARER_TOKEN set this asks X; without it, it runs on the
embedded emulator so that you can try it offline.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pandas as pd

import compliance_frames  # noqa: F401 - registers df.compliance
from compliance_frames.emulator import Emulator
from compliance_frames.sample import SAMPLE_PATH


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_PATH
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("tweets-cleaned.parquet")
    with contextlib.ExitStack() as stack:
        if "BEARER_TOKEN" not in os.environ:  # offline: the emulator stands in for X
            emulator = stack.enter_context(Emulator(processing_seconds=1))
            os.environ.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
        tweets = pd.read_parquet(source)
        cleaned = tweets.compliance.filter(
            "tweet_id", user_col="author_id", geo_columns=["place", "lat", "lon"]
        )  # prints what it removed and scrubbed
        cleaned.to_parquet(target)
        print(f"Wrote {len(cleaned):,} of {len(tweets):,} tweets to {target}")


if __name__ == "__main__":
    main()
