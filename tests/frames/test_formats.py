"""Both results formats on every kind of frame, over the emulator.

The emulator answers each job with the results X sends for the dataset's events, in the
older format (``gcs``: several events per ID, action delete) or in that of September
2026 (``bytepath``: one event per ID, actions rehydrate and scrub_geo, reasons
tweet_edited and geo_scrubbed, deleted_at, invalid_id records). The ``flow`` argument
is parametrised over both by the root conftest.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl
import pytest

import compliance_frames
from compliance_frames import InputError, InvalidIDError
from tests.frames.conftest import (
    AUTHORS,
    DUCKDB,
    FLAGS,
    PANDAS,
    POLARS,
    POLARS_LAZY,
    T_DELETED,
    T_EDITED,
    T_GEO,
    T_GEO_NEW,
    T_OK,
    TWEETS,
    U_OK,
    USER_EVENTS,
    Constructor,
    N,
    assert_unchanged,
    constructors,
    expected_combined_rows,
    expected_tweet_rows,
    materialise,
    rows,
    snapshot,
    tweet_events,
)

P = "compliance_"
FLAG_COLUMNS = [P + f for f in FLAGS]
REFUSED_ROWS = [i for i, tweet in enumerate(TWEETS) if tweet == T_OK]  # rows 1 and 8


def duckdb_relation() -> Any:
    return DUCKDB()


def in_row_order(result: Any) -> pl.DataFrame:
    """A DuckDB result in the dataset's row order (SQL keeps none)."""
    return result.pl().sort(pl.col("text").str.extract(r"(\d+)").cast(pl.Int32))


@pytest.mark.flow("bytepath", "gcs")
def test_check_reads_both_formats(constructor: Constructor, flow: str, events_client: Any) -> None:
    frame = constructor()
    before = snapshot(frame)
    client = events_client()
    result = compliance_frames.check(
        frame, "tweet_id", user_col="author_id", client=client, progress=False
    )
    assert rows(
        result, ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS]
    ) == expected_combined_rows(flow)
    table = materialise(result)
    # edited after deactivated, then remove, the author's event and checked_at
    assert list(table.columns)[-11:-5] == FLAG_COLUMNS
    assert table[P + "edited"].dtype in (bool, "bool[pyarrow]")
    redacted = dict(zip(table["tweet_id"], table[P + "redacted_at"], strict=True))
    assert not pd.isna(redacted[T_DELETED])  # bytepath: redacted_at, else deleted_at
    reasons = dict(zip(table["tweet_id"], table[P + "reason"], strict=True))
    assert (reasons[T_EDITED], reasons[T_GEO_NEW]) == ("tweet_edited", "geo_scrubbed")
    assert_unchanged(frame, before)


@pytest.mark.flow("bytepath", "gcs")
def test_check_of_a_duckdb_relation_reads_both_formats(flow: str, events_client: Any) -> None:
    client = events_client()
    result = compliance_frames.check(duckdb_relation(), "tweet_id", client=client, progress=False)
    assert rows(in_row_order(result), ["tweet_id", P + "reason", *FLAG_COLUMNS]) == (
        expected_tweet_rows(flow)
    )


@pytest.mark.flow("bytepath", "gcs")
def test_authors_never_set_edited(flow: str, events_client: Any) -> None:
    client = events_client()
    accounts = pl.DataFrame({"user_id": [str(u) for u in USER_EVENTS]})
    flagged = compliance_frames.check(accounts, "user_id", "users", client=client, progress=False)
    assert not flagged[P + "edited"].any()
    assert flagged[P + "reason"].cast(pl.String).to_list() == list(USER_EVENTS.values())


# -- IDs that X refused ----------------------------------------------------------------


@pytest.mark.flow("bytepath")
def test_refused_ids_raise_after_the_job_naming_their_rows(
    constructor: Constructor, events_client: Any
) -> None:
    frame = constructor()
    before = snapshot(frame)
    client = events_client(tweets={T_OK: "invalid_id"})
    with pytest.raises(InvalidIDError) as caught:
        materialise(compliance_frames.check(frame, "tweet_id", client=client, progress=False))
    message = str(caught.value)
    assert message.startswith("X answered invalid_id for 2 value(s) of column 'tweet_id'")
    assert caught.value.count == 2
    if constructor.indexed and not constructor.lazy:
        assert f"row 1 (index 'r1'): '{T_OK}'; row 8 (index 'r8'): '{T_OK}'" in message
    elif not constructor.lazy:
        assert f"row 1: '{T_OK}'; row 8: '{T_OK}'" in message
    else:  # a lazy frame names distinct values, not positions
        assert f"such as '{T_OK}'." in message
    eager = not constructor.lazy
    assert caught.value.examples == ([(1, T_OK), (8, T_OK)] if eager else [(None, T_OK)])
    assert "cached on disk" in message
    assert "errors='skip'" in message
    assert [job.type.value for job in client.list_jobs()] == ["tweets"]  # the job ran first
    assert_unchanged(frame, before)


@pytest.mark.flow("bytepath")
def test_refused_ids_get_null_flags_with_skip(constructor: Constructor, events_client: Any) -> None:
    frame = constructor()
    client = events_client(tweets={T_OK: "invalid_id"})
    result = compliance_frames.check(
        frame, "tweet_id", client=client, progress=False, errors="skip"
    )
    expected = [
        (tweet, None, *([None] * len(FLAGS))) if tweet == T_OK else row
        for tweet, row in zip(TWEETS, expected_tweet_rows("bytepath"), strict=True)
    ]
    assert rows(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == expected
    if constructor.nullable_flags:
        assert all(
            str(materialise(result)[name].dtype) == constructor.nullable_flags
            for name in FLAG_COLUMNS
        )


@pytest.mark.flow("bytepath")
@pytest.mark.parametrize("constructor", constructors("pandas", "polars", "polars-lazy", "dask"))
def test_refused_authors_get_null_author_flags(
    constructor: Constructor, events_client: Any
) -> None:
    client = events_client(users={str(U_OK): "invalid_id"})
    with pytest.raises(InvalidIDError, match=r"invalid_id for 7 value\(s\) of column 'author_id'"):
        materialise(
            compliance_frames.check(
                constructor(), "tweet_id", user_col="author_id", client=client, progress=False
            )
        )
    result = compliance_frames.check(
        constructor(),
        "tweet_id",
        user_col="author_id",
        client=client,
        progress=False,
        errors="skip",
    )
    expected = []
    for author, (tweet, reason, user_reason, *flags) in zip(
        AUTHORS, expected_combined_rows("bytepath"), strict=True
    ):
        if author == U_OK:  # unknown for the author: true only where the tweet says so
            flags = [True if flag else None for flag in flags]
        expected.append((tweet, reason, user_reason, *flags))
    assert rows(result, ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS]) == expected


@pytest.mark.flow("bytepath")
def test_a_duckdb_relation_with_refused_ids(events_client: Any) -> None:
    client = events_client(tweets={T_OK: "invalid_id"})
    with pytest.raises(InvalidIDError, match=f"invalid_id for 2 value.*such as '{T_OK}'"):
        compliance_frames.check(duckdb_relation(), "tweet_id", client=client, progress=False)
    result = compliance_frames.check(
        duckdb_relation(), "tweet_id", client=client, progress=False, errors="skip"
    )
    flags = rows(in_row_order(result), [P + "deleted", P + "edited"])
    assert [flags[i] for i in REFUSED_ROWS] == [(None, None), (None, None)]
    assert flags[TWEETS.index(T_EDITED)] == (False, True)


@pytest.mark.flow("bytepath")
def test_results_and_filter_with_refused_ids(events_client: Any) -> None:
    client = events_client(tweets={T_OK: "invalid_id"})
    frame = PANDAS()
    with pytest.raises(InvalidIDError, match=r"row 1 \(index 'r1'\)"):
        compliance_frames.results(frame, "tweet_id", client=client, progress=False)
    events = compliance_frames.results(
        frame, "tweet_id", client=client, progress=False, errors="skip"
    )
    refused = events[events["error"].notna()]
    assert refused["id"].tolist() == [T_OK]  # X's record is kept, with its error
    assert refused["reason"].isna().all()
    with pytest.raises(InvalidIDError):
        compliance_frames.filter(frame, "tweet_id", client=client, progress=False)
    cleaned, report = compliance_frames.filter(
        frame, "tweet_id", client=client, progress=False, errors="skip", return_report=True
    )
    assert report.unchecked == 2
    assert "2 rows were not checked (invalid IDs)" in str(report)
    assert list(cleaned.index).count("r1") == 1  # kept, unverified


# -- filter and summary ----------------------------------------------------------------


@pytest.mark.flow("bytepath", "gcs")
@pytest.mark.parametrize("edited", ["keep", "drop"])
def test_filter_keeps_or_drops_edited_posts(
    constructor: Constructor, flow: str, edited: str, events_client: Any
) -> None:
    client = events_client()
    cleaned, report = compliance_frames.filter(
        constructor(),
        "tweet_id",
        client=client,
        progress=False,
        geo_columns=["lat"],
        edited=edited,
        return_report=True,
    )
    kept = list(materialise(cleaned)["tweet_id"])
    assert (T_EDITED in kept) is (edited == "keep")
    assert T_GEO in kept
    assert T_GEO_NEW in kept
    if edited == "keep":
        assert (report.edited, report.removed["edited"]) == (1, 0)
        assert "1 kept posts were edited: fetch them again to hold their current version" in (
            str(report)
        )
    else:
        assert (report.edited, report.removed["edited"]) == (0, 1)
        assert "edited" not in str(report).split("\n", 1)[-1]
    assert report.scrubbed == 2  # both spellings of geo scrubbing
    assert report.rows_in == N


@pytest.mark.flow("bytepath", "gcs")
def test_filter_on_a_duckdb_relation_drops_edited_posts(flow: str, events_client: Any) -> None:
    client = events_client()
    cleaned = compliance_frames.filter(
        duckdb_relation(), "tweet_id", client=client, progress=False, edited="drop"
    )
    kept = set(cleaned.pl()["tweet_id"].to_list())
    assert T_EDITED not in kept
    assert {T_GEO, T_GEO_NEW, T_OK} <= kept


def test_filter_checks_edited_before_any_job(events_client: Any) -> None:
    client = events_client()
    for value in ("remove", True, None):
        with pytest.raises(InputError, match="edited must be 'keep'"):
            compliance_frames.filter(PANDAS(), "tweet_id", client=client, edited=value)
    assert client.list_jobs() == []


def test_the_accessors_take_edited(events_client: Any) -> None:
    client = events_client()
    for frame in (PANDAS(), POLARS(), POLARS_LAZY()):
        cleaned = frame.compliance.filter("tweet_id", client=client, progress=False, edited="drop")
        assert T_EDITED not in list(materialise(cleaned)["tweet_id"])


@pytest.mark.flow("bytepath", "gcs")
def test_summary_counts_the_geo_spellings_as_one_and_edits_apart(
    flow: str, events_client: Any
) -> None:
    client = events_client()
    flagged = compliance_frames.check(POLARS(), "tweet_id", client=client, progress=False)
    result = compliance_frames.summary(flagged, as_of="2026-11-23")
    tweet = result.table.filter(pl.col("level") == "tweet")
    assert sorted(tweet["reason"].to_list()) == sorted(
        ["deleted", "scrub_geo", "protected", "bounced", "suspended", "deactivated", "edited"]
    )
    assert result.share("tweet", "scrub_geo") == pytest.approx(2 / N)
    assert result.share("tweet", "edited") == pytest.approx(1 / N)
    assert result.table.filter(pl.col("level") == "any")["reason"].to_list() == list(FLAGS)
    assert "had been edited" in result.sentence()
    assert "other reasons (bounced)." in result.sentence()
    events = tweet_events(flow)
    assert result.share("any", "scrub_geo") == pytest.approx(
        sum("scrub_geo" in events[t][1] for t in TWEETS) / N
    )


@pytest.mark.flow("bytepath")
def test_a_refusal_that_names_no_row_changes_nothing(events_client: Any) -> None:
    client = events_client(tweets={"12345": "invalid_id"})
    for constructor in (PANDAS, POLARS_LAZY):
        result = compliance_frames.check(constructor(), "tweet_id", client=client, progress=False)
        assert rows(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == (
            expected_tweet_rows("bytepath")
        )
