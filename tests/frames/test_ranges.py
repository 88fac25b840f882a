"""Lazy frames' IDs, streamed out range by range: the same file and digest as in memory."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import dask.dataframe as dd
import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
import pytest

from compliance_frames import IdSet, InvalidIDError
from compliance_frames.frames.ranges import stream_id_set


def lazy(values: Any) -> nw.LazyFrame[Any]:
    return nw.from_native(pl.LazyFrame({"id": values}))


@pytest.mark.parametrize("budget", [1, 3, 100, 10**6])
def test_same_file_and_digest_as_in_memory(budget: int) -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2**63, 500, dtype=np.int64)
    values = np.concatenate([values, values[:50]])  # duplicates too
    streamed = stream_id_set(lazy(values), "id", errors="raise", what="tweet", budget=budget)
    in_memory = IdSet.from_ids(values)
    assert streamed.path.read_bytes() == in_memory.path.read_bytes()
    assert (streamed.count, streamed.digest) == (in_memory.count, in_memory.digest)
    streamed.discard()
    in_memory.discard()


def test_bursty_keys_are_cut_finer(temporary) -> None:
    # Most IDs in a sliver of the range: a first histogram bin holds far more than the budget.
    burst = 10**18 + np.arange(5_000, dtype=np.int64)
    spread = np.linspace(0, 2**62, 100, dtype=np.int64)
    values = np.concatenate([spread, burst])
    streamed = temporary(
        stream_id_set(lazy(values), "id", errors="raise", what="tweet", budget=700)
    )
    expected = temporary(IdSet.from_ids(values))
    assert (streamed.count, streamed.digest) == (expected.count, expected.digest)


def test_one_id_repeated_beyond_the_budget(temporary) -> None:
    values = np.array([7] * 1000 + [3, 9], dtype=np.int64)
    streamed = temporary(stream_id_set(lazy(values), "id", errors="raise", what="tweet", budget=10))
    assert streamed.path.read_text() == "3\n7\n9\n"


def test_strings_and_19_digits(temporary) -> None:
    values = [str(2**63 + 5), "9999999999999999999", "007", str(2**63 + 5)]
    streamed = temporary(stream_id_set(lazy(values), "id", errors="raise", what="tweet", budget=1))
    assert streamed.path.read_text().split() == ["7", str(2**63 + 5), "9999999999999999999"]


def test_invalid_values_are_named_or_skipped(temporary) -> None:
    frame = lazy(["1", "abc", None, "-5", "2"])
    with pytest.raises(
        InvalidIDError, match=r"3 value\(s\) that are not tweet IDs.*'abc'.*null"
    ) as caught:
        stream_id_set(frame, "id", errors="raise", what="tweet")
    assert caught.value.count == 3
    skipped = temporary(stream_id_set(frame, "id", errors="skip", what="tweet"))
    assert skipped.path.read_text() == "1\n2\n"
    empty = temporary(stream_id_set(lazy(["x"]), "id", errors="skip", what="tweet"))
    assert (empty.count, empty.path.read_text()) == (0, "")


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
def test_dask_and_duckdb_frames(temporary) -> None:
    import duckdb

    values = np.random.default_rng(2).integers(0, 2**62, 1000, dtype=np.int64)
    expected = temporary(IdSet.from_ids(values))
    import pandas as pd

    frame = pd.DataFrame({"id": values})
    for native in (dd.from_pandas(frame, npartitions=4), duckdb.sql("select * from frame")):
        with pytest.warns(FutureWarning) if isinstance(native, dd.DataFrame) else nullcontext():
            narwhals_frame = nw.from_native(native)
        streamed = temporary(
            stream_id_set(narwhals_frame, "id", errors="raise", what="tweet", budget=97)
        )
        assert (streamed.count, streamed.digest) == (expected.count, expected.digest)
