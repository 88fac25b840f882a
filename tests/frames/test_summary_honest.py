"""Every summary sentence adds up: available, removed and other shares make 100% of the
checked rows, on posts, accounts, both, and with rows not checked."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client
from tests.frames.conftest import AUTHORS, TWEETS, Constructor, constructors


def _adds_up(sentence: str) -> tuple[float, float, float]:
    """(available, removed, other) shares of the sentence; they must make 100%."""
    available = float(re.search(r"([\d.]+)% of [\d,]+ \w+ were still", sentence)[1])  # type: ignore[index]
    removed = re.search(r"([\d.]+)% had been removed", sentence)
    other = re.search(r"([\d.]+)% had events of other reasons", sentence)
    shares = (
        available,
        float(removed[1]) if removed else 0.0,
        float(other[1]) if other else 0.0,
    )
    assert sum(shares) == pytest.approx(100.0, abs=0.15), sentence
    return shares


@pytest.mark.parametrize("constructor", constructors("pandas", "polars", "polars-lazy"))
def test_posts_and_authors(constructor: Constructor, client: Client) -> None:
    flagged = compliance_frames.check(
        constructor(), "tweet_id", user_col="author_id", client=client, progress=False
    )
    sentence = compliance_frames.summary(flagged).sentence()
    _adds_up(sentence)
    assert " posts were still available" in sentence
    assert "a post can count under several reasons" in sentence


def test_posts_alone_with_other_reasons(client: Client) -> None:
    flagged = compliance_frames.check(
        pl.DataFrame({"tweet_id": TWEETS}), "tweet_id", client=client, progress=False
    )
    sentence = compliance_frames.summary(flagged).sentence()
    *_, other = _adds_up(sentence)
    assert other > 0  # the bounced post: an unknown reason, named
    assert "(bounced)" in sentence


def test_accounts_have_their_own_words(client: Client) -> None:
    accounts = pd.DataFrame({"user_id": [str(a) for a in AUTHORS]})
    flagged = compliance_frames.check(
        accounts, "user_id", type="users", client=client, progress=False
    )
    result = compliance_frames.summary(flagged, type="users")
    sentence = result.sentence()
    _adds_up(sentence)
    assert f"of {len(AUTHORS)} accounts were still active" in sentence
    assert "tweet" not in sentence
    assert "post" not in sentence


def test_rows_not_checked_are_counted_and_named(client: Client) -> None:
    data = {"tweet_id": [*TWEETS, "not an id", "nor this"]}
    flagged = compliance_frames.check(
        pl.DataFrame(data), "tweet_id", client=client, progress=False, errors="skip"
    )
    result = compliance_frames.summary(flagged)
    sentence = result.sentence()
    _adds_up(sentence)
    assert result.checked == len(TWEETS)
    assert f"of {len(TWEETS)} posts" in sentence
    assert "2 rows were not checked (invalid IDs)" in sentence


def test_table_is_readable_in_percent(client: Client) -> None:
    flagged = compliance_frames.check(
        pl.DataFrame({"tweet_id": TWEETS}), "tweet_id", client=client, progress=False
    )
    table = compliance_frames.summary(flagged).table
    deleted = table.filter((pl.col("level") == "any") & (pl.col("reason") == "deleted"))
    assert deleted["share %"][0] == pytest.approx(round(2 / len(TWEETS) * 100, 1))


def test_an_old_frame_says_its_date_is_not_known(client: Client) -> None:
    flagged = compliance_frames.check(
        pl.DataFrame({"tweet_id": TWEETS}), "tweet_id", client=client, progress=False
    )
    old: Any = flagged.drop("compliance_checked_at")
    sentence = compliance_frames.summary(old).sentence()
    assert "the frame does not say when X answered" in sentence
    _adds_up(sentence)
