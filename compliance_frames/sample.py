"""A synthetic research dataset: tweets with authors, languages, texts and geo columns.

Deterministic: the same call gives the same frame, which is what
``examples/data/sample_tweets.parquet`` holds. Tweet IDs are real-looking snowflakes
(their creation time is in them); author IDs mix legacy sequential IDs and snowflakes,
as real account IDs do.

Example:
    >>> frame = sample_tweets(n_tweets=1000, n_authors=200)
    >>> frame.height, frame["tweet_id"].n_unique(), frame["author_id"].n_unique() <= 200
    (1000, 1000, True)
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "examples" / "data" / "sample_tweets.parquet"
TWITTER_EPOCH_MS = 1288834974657
_START = datetime(2020, 1, 1, tzinfo=timezone.utc)
_END = datetime(2022, 12, 31, tzinfo=timezone.utc)
_LANGS = ["en", "es", "pt", "de", "fr", "ja", "ar", "und"]
_LANG_SHARES = [0.55, 0.12, 0.08, 0.06, 0.06, 0.06, 0.04, 0.03]
_TOPICS = ["climate", "elections", "vaccines", "football", "music", "housing", "transit", "science"]
_PLACES = {  # name: (lat, lon)
    "Berlin": (52.52, 13.40),
    "São Paulo": (-23.55, -46.63),
    "Lagos": (6.52, 3.38),
    "Madrid": (40.42, -3.70),
    "Tokyo": (35.68, 139.69),
    "Toronto": (43.65, -79.38),
}


def sample_tweets(n_tweets: int = 30_000, n_authors: int = 6_000, seed: int = 2021) -> pl.DataFrame:
    """The synthetic dataset (``n_tweets`` rows by at most ``n_authors`` authors).

    Columns: ``tweet_id``, ``author_id`` (Int64), ``created_at`` (UTC), ``lang``,
    ``text``, ``place``, ``lat``, ``lon`` (null for tweets without geo data, about
    five in six) and ``retweet_count``.
    """
    rng = np.random.default_rng(seed)
    start_ms = int(_START.timestamp() * 1000)
    span_ms = int((_END - _START).total_seconds() * 1000)
    created_ms = np.sort(start_ms + rng.integers(0, span_ms, n_tweets))
    tweet_ids = ((created_ms - TWITTER_EPOCH_MS) << 22) | (rng.integers(0, 1024, n_tweets) << 12)
    tweet_ids |= np.arange(n_tweets) % 4096  # unique even within one millisecond

    legacy = np.unique(rng.integers(10**6, 3 * 10**9, n_authors))[: n_authors * 2 // 5]
    modern_ms = start_ms - rng.integers(0, 8 * 365 * 86_400_000, n_authors - legacy.size)
    modern = ((modern_ms - TWITTER_EPOCH_MS) << 22) | rng.integers(0, 2**22, modern_ms.size)
    authors = np.concatenate([legacy, modern])
    weights = 1.0 / np.arange(1, n_authors + 1) ** 0.8  # a few prolific accounts, a long tail
    author_ids = authors[rng.choice(n_authors, size=n_tweets, p=weights / weights.sum())]

    has_geo = rng.random(n_tweets) < 1 / 6
    place_names = np.array(list(_PLACES))
    places = place_names[rng.integers(0, len(place_names), n_tweets)]
    lat = np.array([_PLACES[p][0] for p in places]) + rng.normal(0, 0.05, n_tweets)
    lon = np.array([_PLACES[p][1] for p in places]) + rng.normal(0, 0.05, n_tweets)
    topics = np.array(_TOPICS)[rng.integers(0, len(_TOPICS), n_tweets)]
    frame = pl.DataFrame(
        {
            "tweet_id": tweet_ids.astype(np.int64),
            "author_id": author_ids.astype(np.int64),
            "created_at": pl.Series(created_ms).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"),
            "lang": rng.choice(_LANGS, size=n_tweets, p=_LANG_SHARES),
            "text": [f"Synthetic tweet {i} about {t}" for i, t in enumerate(topics)],
            "place": places,
            "lat": np.round(lat, 5),
            "lon": np.round(lon, 5),
            "retweet_count": rng.geometric(0.3, n_tweets) - 1,
            "geo": has_geo,
        }
    )
    located = [pl.when("geo").then(pl.col(name)).alias(name) for name in ("place", "lat", "lon")]
    return frame.with_columns(located).drop("geo")


def load_sample() -> pl.DataFrame:
    """The sample dataset shipped in ``examples/data/`` (made anew if not there)."""
    if SAMPLE_PATH.exists():
        return pl.read_parquet(SAMPLE_PATH)
    return sample_tweets()


if __name__ == "__main__":  # python -m compliance_frames.sample: rewrite the shipped file
    SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    sample_tweets().write_parquet(SAMPLE_PATH, compression="zstd", statistics=False)
    print(f"wrote {SAMPLE_PATH}")


def sample_collection(path: str | Path, pages: int = 10) -> Path:
    """A twarc2-like collection made from the sample: ``pages`` search pages of 100 posts
    (a third of them retweets of the post before), with ``includes.users`` and
    ``includes.tweets`` beside them, one page a line as ``twarc2 search`` writes them.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> first = sample_collection(Path(folder) / "tweets.jsonl", pages=2).open().readline()
        >>> sorted(json.loads(first))
        ['__twarc', 'data', 'includes', 'meta']
    """
    tweets = load_sample().head(pages * 100).to_dicts()
    path = Path(path)
    with open(path, "w", encoding="utf-8") as sink:
        for start in range(0, len(tweets), 100):
            data: list[dict[str, Any]] = []
            for index, row in enumerate(tweets[start : start + 100]):
                post = {
                    "id": str(row["tweet_id"]),
                    "text": row["text"],
                    "author_id": str(row["author_id"]),
                }
                if index % 3 == 1:  # a retweet of the post before it
                    post["referenced_tweets"] = [{"type": "retweeted", "id": data[-1]["id"]}]
                data.append(post)
            authors = sorted({post["author_id"] for post in data})
            page = {
                "data": data,
                "includes": {
                    "users": [{"id": author, "username": f"user{author}"} for author in authors],
                    "tweets": [dict(post) for post in data if "referenced_tweets" not in post][:20],
                },
                "meta": {"result_count": len(data), "newest_id": data[0]["id"]},
                "__twarc": {
                    "url": "https://api.twitter.com/2/tweets/search/all",
                    "version": "2.14.0",
                },
            }
            sink.write(json.dumps(page) + "\n")
    return path
