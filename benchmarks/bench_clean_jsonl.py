"""``clean_jsonl()`` on a large twarc2 collection: time, throughput, peak memory.

    python benchmarks/bench_clean_jsonl.py               # a 1 GB file of API v2 pages
    python benchmarks/bench_clean_jsonl.py --size 50M    # smaller

A file of twarc2-like search pages (100 posts a page, their authors in
``includes.users``, the originals of retweets and quotes in ``includes.tweets``, places
for some posts, ``meta`` and ``__twarc``) is generated, then cleaned against the
emulator (in a process of its own, so that its memory is not counted), whose outcomes are
derived from the IDs (about a tenth of the IDs have an event). Peak memory is the
kernel's high-water mark of the process (``VmHWM``), reset once the file is generated:
it shows that memory follows the number of distinct
IDs, not the size of the file. Prints a table and writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_check import EmulatorProcess
from measure import peak_rss_bytes, reset_peak, rss_bytes

from compliance_frames import Client, clean_jsonl

POSTS_PER_PAGE = 100
AUTHORS_PER_PAGE = 40
TWARC = {"url": "https://api.twitter.com/2/tweets/search/all?query=bench", "version": "2.14.0"}


def parse_size(text: str) -> int:
    """``1G``, ``50M``, ``2000000`` as bytes."""
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    if text[-1].upper() in units:
        return int(float(text[:-1]) * units[text[-1].upper()])
    return int(float(text))


def _user(user_id: int) -> dict[str, Any]:
    name = f"user{user_id}"
    return {
        "id": str(user_id),
        "name": name.title(),
        "username": name,
        "created_at": "2012-01-01T00:00:00.000Z",
        "description": "An account of the benchmark, with a description of some length.",
        "protected": False,
        "public_metrics": {"followers_count": 10, "following_count": 5, "tweet_count": 100},
        "verified": False,
    }


def _post(post_id: int, author: int, rng: random.Random, **more: Any) -> dict[str, Any]:
    post = {
        "id": str(post_id),
        "text": "A post of the benchmark, as long as posts often are, with a link "
        "https://t.co/abcdefghij and a #hashtag.",
        "author_id": str(author),
        "conversation_id": str(post_id),
        "created_at": "2022-02-28T10:00:00.000Z",
        "lang": "en",
        "public_metrics": {
            "retweet_count": rng.randrange(100),
            "reply_count": 0,
            "like_count": rng.randrange(1000),
            "quote_count": 0,
        },
        "entities": {
            "hashtags": [{"start": 100, "end": 108, "tag": "hashtag"}],
            "mentions": [{"start": 0, "end": 9, "username": "user1", "id": str(author + 1)}],
        },
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "source": "Twitter Web App",
    }
    post.update(more)
    return post


def generate(path: Path, size: int, seed: int = 42) -> int:
    """Write pages to ``path`` until it holds ``size`` bytes; return the posts written."""
    rng = random.Random(seed)
    next_post, next_user, posts = 10**18, 10**9, 0
    written = 0
    with open(path, "w", encoding="utf-8") as sink:
        while written < size:
            authors = list(range(next_user, next_user + AUTHORS_PER_PAGE))
            next_user += AUTHORS_PER_PAGE // 2  # half the authors come back on the next page
            data, stored = [], []
            for _ in range(POSTS_PER_PAGE):
                next_post += rng.randrange(1, 1 << 20)
                author = rng.choice(authors)
                roll = rng.random()
                if roll < 0.3:  # a retweet or a quote of a stored post
                    next_post += 1
                    original = next_post
                    stored.append(_post(original, rng.choice(authors), rng))
                    next_post += 1
                    kind = "retweeted" if roll < 0.2 else "quoted"
                    more: dict[str, Any] = {
                        "referenced_tweets": [{"type": kind, "id": str(original)}]
                    }
                elif roll < 0.35:
                    more = {"geo": {"place_id": f"{next_post:016x}"[-16:]}}
                else:
                    more = {}
                data.append(_post(next_post, author, rng, **more))
            places = [
                {"id": post["geo"]["place_id"], "full_name": "Paris, France", "country_code": "FR"}
                for post in data
                if "geo" in post
            ]
            page = {
                "data": data,
                "includes": {
                    "users": [_user(user) for user in authors],
                    "tweets": stored,
                    "places": places,
                },
                "meta": {
                    "newest_id": data[0]["id"],
                    "oldest_id": data[-1]["id"],
                    "result_count": len(data),
                    "next_token": "b26v89c19zqg8o3fpzbkk",
                },
                "__twarc": TWARC,
            }
            line = json.dumps(page) + "\n"
            sink.write(line)
            written += len(line)
            posts += len(data)
    return posts


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1G", help="size of the generated file (default: 1G)")
    parser.add_argument("--out", type=Path, default=None, help="JSON results (default: results/)")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory(prefix="bench-clean-jsonl-") as folder:
        source, dest = Path(folder) / "tweets.jsonl", Path(folder) / "clean.jsonl"
        started = time.perf_counter()
        posts = generate(source, size)
        generated = time.perf_counter() - started
        file_bytes = source.stat().st_size
        emulator = EmulatorProcess()
        try:
            client = Client(
                emulator.token,
                emulator.base_url,
                results_dir=Path(folder) / "cache",
                poll_interval=0.1,
                max_poll_interval=0.5,
            )
            exact = reset_peak()
            before = rss_bytes()
            started = time.perf_counter()
            report = clean_jsonl(source, dest, client=client, progress=False)
            seconds = time.perf_counter() - started
            peak = peak_rss_bytes()
        finally:
            emulator.stop()
        result = {
            "file_bytes": file_bytes,
            "posts": posts,
            "generate_seconds": round(generated, 2),
            "clean_seconds": round(seconds, 2),
            "mb_per_second": round(file_bytes / seconds / 1e6, 1),
            "peak_rss_bytes": peak,
            "rss_before_bytes": before,
            "peak_exact": exact,
            "out_bytes": dest.stat().st_size,
            "report": report.to_dict() | {"edited_ids": len(report.edited_ids)},
        }
    print(f"file           {file_bytes / 1e6:,.0f} MB, {posts:,} posts in data")
    print(f"generated in   {generated:.1f} s")
    print(f"cleaned in     {seconds:.1f} s ({result['mb_per_second']} MB/s)")
    print(
        f"peak memory    {peak / 1e6:,.0f} MB, {(peak - before) / 1e6:,.0f} MB above the "
        f"{before / 1e6:,.0f} MB before the call (the emulator runs in its own process)"
    )
    print(f"IDs checked    {report.posts_checked:,} posts, {report.accounts_checked:,} accounts")
    print(f"lines          {report.lines_in:,} in, {report.lines_out:,} out")
    removed = sum(report.posts_removed.values())
    print(
        f"removed        {removed:,} posts, {report.posts_removed_for_author:,} for their "
        f"author, {report.retweets_removed:,} retweets; {report.includes_tweets_removed:,} "
        f"stored posts, {report.includes_users_removed:,} profiles; "
        f"{report.geo_emptied:,} geo emptied"
    )
    target = args.out or Path(__file__).parent / "results" / "clean_jsonl.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
