"""Dask on a ``dask.distributed`` cluster of worker processes (``LocalCluster``), not only
the threaded scheduler: exact flags, lazy outputs, the errors of every other frame, the
results shipped to the workers once (one node of the graph), and memory bounded per worker.

One cluster (two worker processes of one thread, 1 GiB each) serves every test of a
pytest worker; it is the scheduler only inside these tests (other Dask tests keep theirs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cloudpickle
import dask
import dask.dataframe as dd
import pandas as pd
import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client, InvalidIDError
from tests.frames.conftest import (
    DASK,
    DATA,
    FLAGS,
    PANDAS,
    T_OK,
    TWEETS,
    expected_combined_rows,
    expected_tweet_rows,
    rows,
    tweet_results,
)

P = "compliance_"
FLAG_COLUMNS = [P + flag for flag in FLAGS]
WORKER_MEMORY = 2**30


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    from distributed import Client as DaskClient
    from distributed import LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=WORKER_MEMORY,
            dashboard_address=None,
        ) as local,
        DaskClient(local, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture
def workers(cluster: Any) -> Iterator[Any]:
    """The cluster's client, the scheduler of Dask within the test."""
    with cluster.as_current(), dask.config.set(scheduler="dask.distributed"):
        yield cluster


@pytest.mark.flow("bytepath", "gcs")
def test_check_flags_every_row_on_worker_processes(workers: Any, client: Client, flow: str) -> None:
    frame = DASK()
    result = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    assert isinstance(result, dd.DataFrame)  # lazy: a Dask graph
    assert rows(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == expected_tweet_rows(flow)
    assert list(result.compute().index) == list(PANDAS().index)  # index and order kept
    assert set(workers.has_what()) == set(workers.scheduler_info()["workers"])


def test_check_with_user_col(workers: Any, client: Client) -> None:
    result = compliance_frames.check(
        DASK(), "tweet_id", user_col="author_id", client=client, progress=False
    )
    columns = ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS]
    assert rows(result, columns) == expected_combined_rows("bytepath")


def test_results_reach_the_workers_once(workers: Any, events_client: Any) -> None:
    """The per-ID tables are one node of the graph, named by key in every task: they go
    to each worker once, not inside every task (the graph would grow with the partitions)."""
    many = {str(10**17 + i): "deleted" for i in range(20_000)}
    client = events_client(tweets=many)
    pdf = pd.DataFrame({"tweet_id": list(many) + TWEETS})
    sizes = []
    for partitions in (2, 8):
        frame = dd.from_pandas(pdf, npartitions=partitions, sort=False)
        result = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
        graph = dict(result.__dask_graph__())
        attaching = [task for key, task in graph.items() if "_attach_partition" in str(key)]
        assert len(attaching) == partitions
        shared = {
            key
            for task in attaching
            for key in task.dependencies
            if "compliance-results-" in str(key)
        }
        assert len(shared) == 1  # every task names the one node of results
        sizes.append(len(cloudpickle.dumps(graph)))
        assert result[P + "deleted"].sum().compute() == 20_000 + 2
    assert sizes[1] < sizes[0] * 1.2  # four times the tasks, not four times the results
    assert sizes[0] > 100_000  # (the 20,000 events are in it, once)


def test_results_and_filter(workers: Any, client: Client) -> None:
    events = compliance_frames.results(DASK(), "tweet_id", client=client, progress=False)
    found = sorted(zip(events["id"], events["reason"].astype(str), strict=True))
    assert found == sorted(tweet_results("bytepath"))
    cleaned = compliance_frames.filter(
        DASK(), "tweet_id", geo_columns=["lat", "lon"], client=client, progress=False
    )
    assert isinstance(cleaned, dd.DataFrame)
    expected = compliance_frames.filter(
        PANDAS(), "tweet_id", geo_columns=["lat", "lon"], client=client, progress=False
    )
    pd.testing.assert_frame_equal(
        cleaned.compute(), expected, check_dtype=False, check_index_type=False
    )


def test_bad_ids_raise_or_get_null_flags_as_on_pandas(workers: Any, events_client: Any) -> None:
    client = events_client(tweets={T_OK: "invalid_id"})
    data = {**DATA, "tweet_id": [*TWEETS[:-1], "abc"]}
    with pytest.raises(InvalidIDError) as from_dask:
        compliance_frames.check(DASK(data), "tweet_id", client=client, progress=False)
    with pytest.raises(InvalidIDError) as from_pandas:
        compliance_frames.check(PANDAS(data), "tweet_id", client=client, progress=False)
    assert from_dask.value.count == from_pandas.value.count == 1
    assert from_dask.value.hint == from_pandas.value.hint
    assert "such as 'abc'" in str(from_dask.value)
    assert client.list_jobs() == []

    with pytest.raises(InvalidIDError, match=f"invalid_id for 2 value.*such as '{T_OK}'"):
        compliance_frames.check(DASK(), "tweet_id", client=client, progress=False)
    skipped = compliance_frames.check(
        DASK(data), "tweet_id", client=client, progress=False, errors="skip"
    )
    expected = compliance_frames.check(
        PANDAS(data), "tweet_id", client=client, progress=False, errors="skip"
    )
    columns = ["tweet_id", P + "reason", *FLAG_COLUMNS]
    assert rows(skipped, columns) == rows(expected, columns)


def test_memory_is_bounded_per_worker(workers: Any, client: Client, tmp_path: Any) -> None:
    """A frame of 2 million rows in 8 partitions: each worker holds a partition or two,
    never the frame, and stays within its limit (the cluster would pause or restart it)."""
    ids = pl.int_range(10**18, 10**18 + 2_000_000, eager=True).cast(pl.String)
    pl.DataFrame({"tweet_id": ids, "text": "x" * 40}).write_parquet(tmp_path / "big.parquet")
    frame = dd.read_parquet(tmp_path / "big.parquet").repartition(npartitions=8)
    result = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    deleted = result[P + "deleted"].sum().compute()
    assert deleted == 0
    memory = [info["metrics"]["memory"] for info in workers.scheduler_info()["workers"].values()]
    assert all(used < WORKER_MEMORY for used in memory)
    assert {info["memory_limit"] for info in workers.scheduler_info()["workers"].values()} == {
        WORKER_MEMORY
    }
