"""Whole rows, not one column: ``tweet_refs=``, ``user_refs=``, ``retweet_of=`` and the
roll-up ``{prefix}remove``, on every kind of frame, against the emulator.

The dataset uses twarc-csv's flattened column names (``author_id``,
``referenced_tweets.retweeted.id``, ``entities.mentions``): the added columns keep the dots.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import compliance_frames
from compliance_frames import Client, InputError, InvalidIDError
from compliance_frames.hints import Terms
from tests.frames.conftest import (
    PANDAS_PYARROW,
    T_DELETED,
    T_EDITED,
    T_GEO,
    T_OK,
    T_SUSPENDED,
    U_DELETED,
    U_OK,
    U_PROTECTED,
    U_SUSPENDED,
    Constructor,
    assert_unchanged,
    constructors,
    materialise,
    snapshot,
)

P = "compliance_"
RT = "referenced_tweets.retweeted.id"
QUOTED = "referenced_tweets.quoted.id"
MENTIONS = "entities.mentions"
CONTEXT = "context_tweets"  # a list of post IDs per row
X1, X2, X3 = "1500000000000000001", "1500000000000000002", "1500000000000000003"

DATA: dict[str, list[Any]] = {
    "id": [T_OK, X1, T_DELETED, X2, X3, T_GEO],
    "author_id": [U_OK, U_OK, U_OK, U_SUSPENDED, U_OK, U_OK],
    RT: [None, T_DELETED, T_DELETED, T_OK, T_SUSPENDED, None],
    QUOTED: [T_SUSPENDED, None, None, None, None, T_EDITED],
    MENTIONS: [[str(U_PROTECTED)], [], None, [str(U_OK), str(U_DELETED)], [str(U_OK)], []],
    CONTEXT: [[T_GEO, T_DELETED], [], None, [T_OK], [T_EDITED], []],
}
INDEX = [f"r{i}" for i in range(len(DATA["id"]))]
REFS = {
    "user_col": "author_id",
    "tweet_refs": [RT, QUOTED, CONTEXT],
    "user_refs": MENTIONS,
    "retweet_of": RT,
}
REMOVE = [False, True, True, True, True, False]
REASONS = {
    RT: [None, "deleted", "deleted", None, "suspended", None],
    QUOTED: ["suspended", None, None, None, None, "tweet_edited"],
    MENTIONS: [["protected"], [], None, [None, "deleted"], [None], []],
    CONTEXT: [["scrub_geo", "deleted"], [], None, [None], ["tweet_edited"], []],
}
TWEET_IDS = {*DATA["id"], *filter(None, DATA[RT]), *filter(None, DATA[QUOTED])}
TWEET_IDS |= {i for ids in DATA[CONTEXT] if ids for i in ids}
USER_IDS = {str(u) for u in DATA["author_id"]} | {i for ids in DATA[MENTIONS] if ids for i in ids}


def build(constructor: Constructor, data: dict[str, list[Any]] | None = None) -> Any:
    """The dataset as a frame of this kind. Dask turns pandas object columns into strings,
    lists too: its lists are arrow lists, as a Parquet file gives them."""
    data = DATA if data is None else data
    index = INDEX if len(data["id"]) == len(INDEX) else None
    if constructor.name == "dask":
        import dask.dataframe as dd

        return dd.from_pandas(PANDAS_PYARROW(data, index), npartitions=2, sort=False)
    return constructor(data, index)


def cell(value: Any) -> Any:
    """A cell as plain Python: lists (numpy, arrow or Python) as lists, missing as None."""
    if isinstance(value, (list, tuple, np.ndarray, pa.ListScalar)):
        items = value.as_py() if isinstance(value, pa.ListScalar) else list(value)
        return [cell(item) for item in items]
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def column(frame: Any, name: str) -> list[Any]:
    return [cell(value) for value in materialise(frame)[name]]


def job_counts(emulator: Any) -> list[tuple[str, int]]:
    return sorted((job["type"], job["n_ids"]) for job in emulator.jobs)


def test_reference_columns_flag_every_row(
    constructor: Constructor, client: Client, events_emulator: Any
) -> None:
    frame = build(constructor)
    before = snapshot(frame)
    result = compliance_frames.check(frame, "id", client=client, progress=False, **REFS)
    assert type(result) is type(frame)  # a LazyFrame stays lazy, Dask stays Dask
    table = materialise(result)
    added = [name for name in table.columns if name.startswith(P)]
    assert added[-5:-1] == [f"{P}{name}_reason" for name in (RT, QUOTED, CONTEXT, MENTIONS)]
    assert added[-1] == f"{P}checked_at"
    for name, expected in REASONS.items():
        assert column(result, f"{P}{name}_reason") == expected, name
    assert column(result, P + "remove") == REMOVE
    assert column(result, "id") == DATA["id"]  # the order kept
    if constructor.indexed:
        assert list(table.index) == INDEX
    # still one job of each type, each distinct ID uploaded once
    assert job_counts(events_emulator) == [("tweets", len(TWEET_IDS)), ("users", len(USER_IDS))]
    assert_unchanged(frame, before)


def test_one_id_references_alone_make_one_posts_job(
    constructor: Constructor, client: Client, events_emulator: Any
) -> None:
    frame = build(constructor)
    result = compliance_frames.check(
        frame, "id", tweet_refs=RT, retweet_of=[RT], client=client, progress=False
    )
    assert column(result, f"{P}{RT}_reason") == REASONS[RT]
    # the author is not checked here: row 3 (a suspended author) stays
    assert column(result, P + "remove") == [False, True, True, False, True, False]
    ids = set(DATA["id"]) | set(filter(None, DATA[RT]))
    assert job_counts(events_emulator) == [("tweets", len(ids))]


def test_references_without_retweet_of_remove_nothing(
    constructor: Constructor, client: Client
) -> None:
    frame = build(constructor)
    result = compliance_frames.check(
        frame, "id", tweet_refs=[QUOTED, CONTEXT], user_refs=MENTIONS, client=client, progress=False
    )
    assert column(result, P + "remove") == [False, False, True, False, False, False]


def test_filter_reports_each_rule(constructor: Constructor, client: Client) -> None:
    frame = build(constructor)
    before = snapshot(frame)
    kept, report = compliance_frames.filter(
        frame, "id", client=client, progress=False, return_report=True, **REFS
    )
    assert type(kept) is type(frame)
    assert column(kept, "id") == [T_OK, T_GEO]
    assert list(materialise(kept).columns) == list(DATA)  # the compliance columns dropped
    # row 2 is a removed post that retweets a removed post: counted under both rules
    assert report.rules == {"post": 1, "author": 1, "retweeted": 3}
    assert (report.rows_in, report.rows_out) == (6, 2)
    said = str(report)
    assert "Removed by rule: the post itself 1, its author 1, the original 3" in said
    assert "a row counts under each rule that applies" in said
    assert_unchanged(frame, before)


def test_filter_without_references_reports_as_before(client: Client) -> None:
    frame = pl.DataFrame({"id": DATA["id"]})
    _, report = compliance_frames.filter(
        frame, "id", client=client, progress=False, return_report=True
    )
    assert report.rules == {"post": 1}
    assert "by rule" not in str(report)


@pytest.mark.parametrize("constructor", constructors("polars", "pandas"))
def test_the_accessor_takes_the_references(constructor: Constructor, client: Client) -> None:
    kept = build(constructor).compliance.filter("id", client=client, progress=False, **REFS)
    assert column(kept, "id") == [T_OK, T_GEO]


def test_retweet_of_must_be_one_of_the_tweet_refs(client: Client, events_emulator: Any) -> None:
    frame = pl.DataFrame(DATA)
    with pytest.raises(InputError) as caught:
        compliance_frames.check(
            frame, "id", tweet_refs=QUOTED, retweet_of=RT, client=client, progress=False
        )
    assert f"Column {RT!r} is named as holding the posts that rows retweet" in caught.value.problem
    assert f"tweet_refs={RT!r}" in str(caught.value)  # the hint, in Python
    cli = caught.value.render(
        Terms(options={"tweet_refs": "--tweet-refs", "retweet_of": "--retweet-of"}, commands={})
    )
    assert f"--tweet-refs {RT}" in cli
    assert events_emulator.jobs == []  # refused before any job


def test_references_are_refused_in_a_check_of_users(client: Client) -> None:
    frame = pl.DataFrame({"id": [1, 2], "quoted": [3, None]})
    with pytest.raises(InputError, match="this check is of users") as caught:
        compliance_frames.check(frame, "id", "users", tweet_refs="quoted", client=client)
    assert "type='tweets'" in str(caught.value)


def test_a_column_named_twice_is_refused(client: Client) -> None:
    with pytest.raises(InputError, match="named twice"):
        compliance_frames.check(
            pl.DataFrame(DATA), "id", tweet_refs=["id"], client=client, progress=False
        )


@pytest.mark.parametrize("constructor", constructors("pandas", "polars", "polars-lazy", "dask"))
def test_invalid_ids_inside_lists(constructor: Constructor, events_client: Any) -> None:
    data = {**DATA, CONTEXT: [[T_GEO, "abc"], [], None, [T_OK], [T_EDITED], []]}
    client = events_client()
    frame = build(constructor, data)
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(frame, "id", tweet_refs=CONTEXT, client=client, progress=False)
    message = str(caught.value)
    assert f"Column {CONTEXT!r} has 1 value(s) that are not tweet IDs" in message
    assert "row 0" in message if not constructor.lazy else "'abc'" in message
    assert "errors='skip'" in message
    skipped = compliance_frames.check(
        frame, "id", tweet_refs=CONTEXT, client=client, errors="skip", progress=False
    )
    assert column(skipped, f"{P}{CONTEXT}_reason")[0] == ["scrub_geo", None]


def test_ids_that_x_refuses_inside_lists(events_client: Any) -> None:
    bad = "9999999999999999999"
    client = events_client(tweets={bad: "invalid_id"})
    data = {**DATA, CONTEXT: [[T_GEO], [], None, [T_OK, bad], [T_EDITED], []]}
    with pytest.raises(InvalidIDError, match="row 3") as caught:
        compliance_frames.check(pl.DataFrame(data), "id", tweet_refs=CONTEXT, client=client)
    assert CONTEXT in str(caught.value)
    skipped = compliance_frames.check(
        pl.DataFrame(data), "id", tweet_refs=CONTEXT, client=client, errors="skip", progress=False
    )
    assert column(skipped, f"{P}{CONTEXT}_reason")[3] == [None, None]


def test_results_of_both_jobs(client: Client) -> None:
    events = compliance_frames.results(
        pl.DataFrame(DATA), "id", tweet_refs=[RT], user_refs=MENTIONS, client=client, progress=False
    )
    assert events.columns[-1] == "type"
    reasons = dict(zip(events["id"], events["reason"].cast(pl.String), strict=True))
    assert reasons[T_SUSPENDED] == "suspended"  # only in the retweets column
    assert reasons[str(U_DELETED)] == "deleted"  # only among the mentions
    alone = compliance_frames.results(pl.DataFrame(DATA), "id", client=client, progress=False)
    assert "type" not in alone.columns


@pytest.mark.parametrize("constructor", constructors("duckdb"))
def test_duckdb_takes_one_id_references(constructor: Constructor, client: Client) -> None:
    data = {name: DATA[name] for name in ("id", "author_id", RT)}
    frame = duckdb.from_df(pd.DataFrame(data))
    result = compliance_frames.check(
        frame,
        "id",
        user_col="author_id",
        tweet_refs=RT,
        retweet_of=RT,
        client=client,
        progress=False,
    )
    assert isinstance(result, duckdb.DuckDBPyRelation)  # it stays lazy
    table = result.pl().sort("id")
    expected = dict(zip(DATA["id"], REMOVE, strict=True))
    assert dict(zip(table["id"], table[P + "remove"], strict=True)) == expected
    with pytest.raises(InputError, match="holds lists of IDs") as caught:
        compliance_frames.check(
            duckdb.from_arrow(pl.DataFrame(DATA).to_arrow()),
            "id",
            tweet_refs=CONTEXT,
            client=client,
        )
    assert "Unnest the column first" in str(caught.value)


@pytest.mark.parametrize("constructor", constructors("pandas", "polars", "polars-lazy"))
def test_a_list_column_as_retweet_of(constructor: Constructor, client: Client) -> None:
    kept, report = compliance_frames.filter(
        build(constructor),
        "id",
        tweet_refs=CONTEXT,
        retweet_of=CONTEXT,
        client=client,
        progress=False,
        return_report=True,
    )
    assert column(kept, "id") == [X1, X2, X3, T_GEO]  # row 0 holds a deleted post
    assert report.rules == {"post": 1, "retweeted": 1}
