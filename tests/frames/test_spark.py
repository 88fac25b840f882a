"""Spark DataFrames, on a real local Spark (``local[2]``): exact flags (64-bit IDs too),
outputs that stay Spark plans with the results broadcast, and the errors of every other
frame for values that are not IDs and IDs that X refuses.

One SparkSession serves every test of a pytest worker (a JVM takes seconds to start).
If Spark cannot start (no Java), these tests fail: ``.ci/run`` installs a Java runtime
where the machine has none."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import compliance_frames
from compliance_frames import Client, InvalidIDError
from tests.frames.conftest import (
    DATA,
    FLAGS,
    PANDAS,
    T_DELETED,
    T_EDITED,
    T_GEO,
    T_OK,
    TWEETS,
    expected_combined_rows,
    expected_tweet_rows,
    pandas_rows,
    rows_by_text,
    tweet_results,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),  # (PySpark on pandas 3)
]

P = "compliance_"
FLAG_COLUMNS = [P + flag for flag in FLAGS]
WIDE = ["9223372036854775806", "9223372036854775807", "9223372036854775808", "9999999999999999999"]
"""IDs up to 2**63 - 1 and above it (X refuses those: not snowflakes), all exact in the
keys of an engine without UInt64."""


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark of two cores for the session (per pytest worker)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("compliance-frames-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_frame(spark: Any, data: dict[str, list[Any]] | None = None) -> Any:
    return spark.createDataFrame(pd.DataFrame(DATA if data is None else data))


def table(frame: Any, columns: list[str]) -> list[tuple[Any, ...]]:
    """The columns of a Spark result, in the dataset's row order (Spark keeps none)."""
    return rows_by_text(frame.toPandas(), columns)


@pytest.mark.flow("bytepath", "gcs")
def test_check_flags_every_row(spark: Any, client: Client, flow: str) -> None:
    frame = spark_frame(spark)
    result = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    assert table(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == expected_tweet_rows(flow)
    assert result.columns[: len(DATA)] == frame.columns  # the frame's own columns, unchanged


def test_check_with_user_col_and_integer_ids(spark: Any, client: Client) -> None:
    data = {**DATA, "tweet_id": [int(tweet) for tweet in TWEETS]}  # a Spark long column
    frame = spark_frame(spark, data)
    result = compliance_frames.check(
        frame, "tweet_id", user_col="author_id", client=client, progress=False
    )
    expected = [(int(tweet), *rest) for tweet, *rest in expected_combined_rows("bytepath")]
    columns = ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS]
    assert table(result, columns) == expected


def test_the_result_is_a_spark_plan_not_yet_run_with_the_results_broadcast(
    spark: Any, client: Client
) -> None:
    from pyspark.sql import DataFrame

    result = compliance_frames.check(spark_frame(spark), "tweet_id", client=client, progress=False)
    assert isinstance(result, DataFrame)
    assert not result.is_cached
    plan = result._jdf.queryExecution().executedPlan().toString()
    assert "isFinalPlan=false" in plan  # an adaptive plan that has not run
    assert "BroadcastHashJoin" in plan
    assert "BroadcastExchange" in plan
    assert len(result.collect()) == len(TWEETS)
    assert "isFinalPlan=true" in result._jdf.queryExecution().executedPlan().toString()
    assert result.count() == len(TWEETS)  # computing it again asks X nothing more
    assert len(client.list_jobs("tweets")) == 1


def test_results_above_the_broadcast_cap_are_joined_by_spark_s_own_join(
    spark: Any, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-ID tables above ``BROADCAST_ROWS`` (6 million events at 100M rows overflowed
    the driver when broadcast) are left to a sort-merge join: the same flags."""
    from compliance_frames.frames import backends

    monkeypatch.setattr(backends, "BROADCAST_ROWS", 3)  # the dataset has more events
    threshold = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")  # (Spark's own choice)
    try:
        result = compliance_frames.check(
            spark_frame(spark), "tweet_id", client=client, progress=False
        )
        plan = result._jdf.queryExecution().executedPlan().toString()
        assert "SortMergeJoin" in plan
        assert "Broadcast" not in plan
        rows = table(result, ["tweet_id", P + "reason", *FLAG_COLUMNS])
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", threshold)
    assert rows == expected_tweet_rows("bytepath")


def test_64_bit_ids_stay_exact(spark: Any, events_client: Any) -> None:
    client = events_client(tweets={WIDE[0]: "suspended", WIDE[1]: "deleted"})
    data = {"tweet_id": [*WIDE, f" {WIDE[1]}"], "text": [f"tweet {i}" for i in range(5)]}
    with pytest.raises(InvalidIDError) as caught, pytest.warns(UserWarning, match="1 ID"):
        compliance_frames.check(spark_frame(spark, data), "tweet_id", client=client, progress=False)
    message = str(caught.value)
    assert message.startswith("X answered invalid_id for 2 value(s) of column 'tweet_id'")
    assert f"such as '{WIDE[2]}', '{WIDE[3]}'" in message  # the keys X refused, exact
    with pytest.warns(UserWarning, match="1 ID.*spaces or tabs"):
        result = compliance_frames.check(
            spark_frame(spark, data), "tweet_id", client=client, progress=False, errors="skip"
        )
    assert table(result, ["tweet_id", P + "deleted", P + "suspended"]) == [
        (WIDE[0], False, True),
        (WIDE[1], True, False),
        (WIDE[2], None, None),
        (WIDE[3], None, None),
        (f" {WIDE[1]}", True, False),
    ]
    uploaded = client.list_jobs("tweets")
    assert len(uploaded) == 1  # one job: the rerun used its cached results


@pytest.mark.flow("bytepath", "gcs")
def test_results_are_a_spark_frame(spark: Any, client: Client, flow: str) -> None:
    from pyspark.sql import DataFrame

    events = compliance_frames.results(
        spark_frame(spark), "tweet_id", client=client, progress=False
    )
    assert isinstance(events, DataFrame)
    assert sorted((row.id, row.reason) for row in events.collect()) == sorted(tweet_results(flow))


def test_filter_keeps_what_pandas_keeps(spark: Any, client: Client) -> None:
    from pyspark.sql import DataFrame

    cleaned = compliance_frames.filter(
        spark_frame(spark), "tweet_id", geo_columns=["lat", "lon"], client=client, progress=False
    )
    assert isinstance(cleaned, DataFrame)
    expected = compliance_frames.filter(
        PANDAS(), "tweet_id", geo_columns=["lat", "lon"], client=client, progress=False
    )
    columns = ["tweet_id", "text", "lat", "lon"]
    assert table(cleaned, columns) == pandas_rows(expected, columns)
    assert T_DELETED not in {row.tweet_id for row in cleaned.collect()}
    assert {row.tweet_id: row.lat for row in cleaned.collect()}[T_GEO] is None


def test_values_that_are_not_ids_raise_as_on_other_frames(spark: Any, client: Client) -> None:
    data = {**DATA, "tweet_id": [*TWEETS[:-2], "abc", "1.23E+18"]}
    with pytest.raises(InvalidIDError) as from_spark:
        compliance_frames.check(spark_frame(spark, data), "tweet_id", client=client, progress=False)
    with pytest.raises(InvalidIDError) as from_pandas:
        compliance_frames.check(PANDAS(data), "tweet_id", client=client, progress=False)
    spark_error, pandas_error = from_spark.value, from_pandas.value
    assert spark_error.count == pandas_error.count == 2
    assert "such as 'abc', '1.23E+18'" in str(spark_error)  # no row positions: values
    assert spark_error.hint == pandas_error.hint
    assert client.list_jobs() == []  # nothing ran

    result = compliance_frames.check(
        spark_frame(spark, data), "tweet_id", client=client, progress=False, errors="skip"
    )
    flags = table(result, ["tweet_id", P + "deleted", P + "edited"])
    assert flags[-2:] == [("abc", None, None), ("1.23E+18", None, None)]
    assert flags[0] == (T_DELETED, True, False)


def test_refused_ids_are_named_or_get_null_flags(spark: Any, events_client: Any) -> None:
    client = events_client(tweets={T_OK: "invalid_id"})
    with pytest.raises(InvalidIDError, match=f"invalid_id for 2 value.*such as '{T_OK}'"):
        compliance_frames.check(spark_frame(spark), "tweet_id", client=client, progress=False)
    result = compliance_frames.check(
        spark_frame(spark), "tweet_id", client=client, progress=False, errors="skip"
    )
    flags = {row[0]: row[1:] for row in table(result, ["tweet_id", P + "deleted", P + "edited"])}
    assert flags[T_OK] == (None, None)
    assert flags[T_EDITED] == (False, True)
    assert len(client.list_jobs("tweets")) == 1  # the rerun needed no new job
