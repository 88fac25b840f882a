"""Make a twarc2 collection compliant in one call: posts, retweets, authors, includes.

    python examples/clean_twarc_collection.py [TWEETS.jsonl] [CLEAN.jsonl]

``twarc2 search`` stores each page of the API's answer as one line: the posts in
``data``, and beside them the profiles of their authors (``includes.users``), the posts
they retweet or quote (``includes.tweets``) and places. Compliance cascades through all
of it: a retweet of a deleted post goes, every post of a suspended account goes, the
stored copy of a protected post goes even from beside a quote that stays. One call does
it all, with one posts job and one accounts job.

Without a file, a small collection is made from the bundled sample (pages of 100 posts,
a third of them retweets) and, without $BEARER_TOKEN, cleaned on the embedded emulator.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import compliance_frames
from compliance_frames.emulator import Emulator
from compliance_frames.sample import sample_collection


def main() -> None:
    with contextlib.ExitStack() as stack:
        if "BEARER_TOKEN" not in os.environ:  # offline: the emulator stands in for X
            emulator = stack.enter_context(Emulator(processing_seconds=1))
            os.environ.update(BEARER_TOKEN=emulator.bearer_token, X_API_BASE_URL=emulator.base_url)
        source = Path(sys.argv[1]) if len(sys.argv) > 1 else sample_collection(Path("tweets.jsonl"))
        target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("tweets-clean.jsonl")
        report = compliance_frames.clean_jsonl(source, target)
        print(report)
        # What a methods section needs, and the posts to fetch again (edited since).
        Path("clean-report.json").write_text(report.to_json(), encoding="utf-8")
        print(f"Wrote {target} and clean-report.json ({len(report.edited_ids):,} edited posts).")


if __name__ == "__main__":
    main()
