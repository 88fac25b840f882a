"""The SQL engines narwhals reaches beyond Spark: DuckDB relations, SQLFrame (the PySpark
API on DuckDB) and Ibis tables (on DuckDB). Each gets the one line with exact flags and
64-bit IDs, outputs of its own kind that are still plans, and the errors of pandas for
values that are not IDs. SQL keeps no row order, so rows are compared by their text."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import pytest

import compliance_frames
from compliance_frames import Client, InvalidIDError
from tests.frames.conftest import (
    DATA,
    FLAGS,
    PANDAS,
    SQL_ENGINES,
    T_DELETED,
    T_GEO,
    TWEETS,
    Constructor,
    expected_tweet_rows,
    pandas_rows,
    rows_by_text,
    tweet_results,
)

pytestmark = [
    pytest.mark.parametrize("engine", SQL_ENGINES, ids=str),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy connectable"),
]

P = "compliance_"
FLAG_COLUMNS = [P + flag for flag in FLAGS]
WIDE = ["9223372036854775806", "9223372036854775807", "9223372036854775808", "9999999999999999999"]


def table(frame: Any, columns: list[str]) -> list[tuple[Any, ...]]:
    """The columns of a result, in the dataset's row order (SQL keeps none)."""
    return rows_by_text(nw.from_native(frame).lazy().collect("pandas").to_native(), columns)


def test_check_flags_every_row_and_returns_a_plan_of_the_same_kind(
    engine: Constructor, client: Client
) -> None:
    frame = engine()
    result = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    assert type(result) is type(frame)  # the engine's own kind, not yet run
    assert table(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == expected_tweet_rows(
        "bytepath"
    )
    assert nw.from_native(result).columns[: len(DATA)] == list(DATA)
    assert len(client.list_jobs("tweets")) == 1


def test_results_are_of_the_same_kind(engine: Constructor, client: Client) -> None:
    frame = engine()
    events = compliance_frames.results(frame, "tweet_id", client=client, progress=False)
    assert type(events) is type(frame)
    found = nw.from_native(events).lazy().collect("polars").select("id", "reason")
    assert sorted(found.rows()) == sorted(tweet_results("bytepath"))


def test_filter_keeps_what_pandas_keeps(engine: Constructor, client: Client) -> None:
    cleaned = compliance_frames.filter(
        engine(), "tweet_id", geo_columns=["lat", "lon"], client=client, progress=False
    )
    expected = compliance_frames.filter(
        PANDAS(), "tweet_id", geo_columns=["lat", "lon"], client=client, progress=False
    )
    columns = ["tweet_id", "text", "lat", "lon"]
    kept = table(cleaned, columns)
    assert kept == pandas_rows(expected, columns)
    assert T_DELETED not in {row[0] for row in kept}
    assert {row[0]: row[2] for row in kept}[T_GEO] is None


def test_64_bit_ids_stay_exact(engine: Constructor, events_client: Any) -> None:
    client = events_client(tweets={WIDE[0]: "suspended", WIDE[1]: "deleted"})
    data = {"tweet_id": [*WIDE, f" {WIDE[1]}"], "text": [f"tweet {i}" for i in range(5)]}
    with pytest.raises(InvalidIDError) as caught, pytest.warns(UserWarning, match="1 ID"):
        compliance_frames.check(engine(data), "tweet_id", client=client, progress=False)
    assert str(caught.value).startswith("X answered invalid_id for 2 value(s) of column 'tweet_id'")
    assert f"such as '{WIDE[2]}', '{WIDE[3]}'" in str(caught.value)  # exact, as X refused them
    with pytest.warns(UserWarning, match="1 ID.*spaces or tabs"):
        result = compliance_frames.check(
            engine(data), "tweet_id", client=client, progress=False, errors="skip"
        )
    assert table(result, ["tweet_id", P + "deleted", P + "suspended"]) == [
        (WIDE[0], False, True),
        (WIDE[1], True, False),
        (WIDE[2], None, None),
        (WIDE[3], None, None),
        (f" {WIDE[1]}", True, False),
    ]
    assert len(client.list_jobs("tweets")) == 1  # the rerun used the cached results


def test_values_that_are_not_ids_raise_as_on_pandas(engine: Constructor, client: Client) -> None:
    data = {**DATA, "tweet_id": [*TWEETS[:-2], "abc", "1.23E+18"]}
    with pytest.raises(InvalidIDError) as from_engine:
        compliance_frames.check(engine(data), "tweet_id", client=client, progress=False)
    with pytest.raises(InvalidIDError) as from_pandas:
        compliance_frames.check(PANDAS(data), "tweet_id", client=client, progress=False)
    assert from_engine.value.count == from_pandas.value.count == 2
    assert "such as 'abc', '1.23E+18'" in str(from_engine.value)
    assert from_engine.value.hint == from_pandas.value.hint
    assert client.list_jobs() == []  # nothing ran

    result = compliance_frames.check(
        engine(data), "tweet_id", client=client, progress=False, errors="skip"
    )
    flags = table(result, ["tweet_id", P + "deleted", P + "edited"])
    assert flags[-2:] == [("abc", None, None), ("1.23E+18", None, None)]
    assert flags[0] == (T_DELETED, True, False)
