"""``{prefix}checked_at``: when X produced each row's answer, on every backend, kept by Parquet."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client
from tests.frames.conftest import (
    DUCKDB,
    INDEX,
    TWEETS,
    Constructor,
    constructors,
    materialise,
)


def _created(client: Client, job_type: str) -> datetime:
    """The creation time of the (only) job of ``job_type`` the client's emulator ran."""
    jobs = [job for job in client.list_jobs(job_type) if job.type.value == job_type]
    return min(job.created_at for job in jobs)


def _stamps(frame: Any) -> list[Any]:
    values = materialise(frame)["compliance_checked_at"]
    return [None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in values]


def test_checked_at_on_every_backend(constructor: Constructor, client: Client) -> None:
    flagged = compliance_frames.check(constructor(), "tweet_id", client=client, progress=False)
    created = _created(client, "tweets")
    assert _stamps(flagged) == [created] * len(TWEETS)
    native = materialise(flagged)
    dtype = native["compliance_checked_at"].dtype
    if constructor.pyarrow_dtypes:
        assert str(dtype) == "timestamp[us, tz=UTC][pyarrow]"
    else:
        assert str(dtype) == "datetime64[us, UTC]"
    if isinstance(flagged, (pl.DataFrame, pl.LazyFrame)):
        schema = flagged.collect_schema()
        assert schema["compliance_checked_at"] == pl.Datetime("us", "UTC")


@pytest.mark.parametrize("constructor", constructors("pandas", "polars", "polars-lazy"))
def test_oldest_job_behind_each_row(constructor: Constructor, client: Client) -> None:
    data = {"tweet_id": list(TWEETS), "author_id": ["101"] * 10 + [None]}
    flagged = compliance_frames.check(
        constructor(data, index=INDEX),
        "tweet_id",
        user_col="author_id",
        client=client,
        progress=False,
        errors="skip",
    )
    tweets, users = _created(client, "tweets"), _created(client, "users")
    stamps = _stamps(flagged)
    assert stamps[:10] == [min(tweets, users)] * 10
    assert stamps[10] == tweets  # no author: only the posts job is behind the row


@pytest.mark.parametrize(
    "constructor", constructors("pandas", "pandas-pyarrow", "polars", "polars-lazy", "dask")
)
def test_null_where_not_checked(constructor: Constructor, client: Client) -> None:
    data = {"tweet_id": [TWEETS[0], "not an id", TWEETS[1]]}
    flagged = compliance_frames.check(
        constructor(data, index=["a", "b", "c"]),
        "tweet_id",
        client=client,
        progress=False,
        errors="skip",
    )
    stamps = _stamps(flagged)
    assert stamps[1] is None
    assert stamps[0] == stamps[2] == _created(client, "tweets")


def test_duckdb_checked_at(client: Client) -> None:
    flagged = compliance_frames.check(DUCKDB(), "tweet_id", client=client, progress=False)
    values = flagged.pl()["compliance_checked_at"]
    # a SQL engine names UTC as its connection does (DuckDB: Etc/UTC), as for redacted_at
    assert isinstance(values.dtype, pl.Datetime)
    assert values.dtype.time_unit == "us"
    assert values.dtype.time_zone in ("UTC", "Etc/UTC")
    created = _created(client, "tweets")
    assert values.dt.convert_time_zone("UTC").to_list() == [created] * len(TWEETS)


@pytest.mark.parametrize("constructor", constructors("pandas", "polars"))
def test_parquet_round_trip_drives_summary(
    constructor: Constructor, client: Client, tmp_path: Path
) -> None:
    flagged = compliance_frames.check(constructor(), "tweet_id", client=client, progress=False)
    path = tmp_path / "flagged.parquet"
    if isinstance(flagged, pl.DataFrame):
        flagged.write_parquet(path)
        reloaded: Any = pl.read_parquet(path)
    else:
        flagged.to_parquet(path)
        reloaded = pd.read_parquet(path)
    assert _stamps(reloaded) == _stamps(flagged)
    created = _created(client, "tweets")
    assert compliance_frames.summary(reloaded).as_of == created.date()
    # a frame checked long ago reports its own date, not today's
    old = datetime(2021, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    if isinstance(reloaded, pl.DataFrame):
        aged = reloaded.with_columns(
            pl.lit(old)
            .dt.cast_time_unit("us")
            .alias("compliance_checked_at")
            .dt.replace_time_zone("UTC")
        )
    else:
        aged = reloaded.assign(compliance_checked_at=pd.Timestamp(old))
    result = compliance_frames.summary(aged)
    assert str(result.as_of) == "2021-03-04"
    assert result.sentence().startswith("As of 2021-03-04,")
