"""What a frame's ID column says when its values are not IDs: which rows, and what kind
of problem (floats' marks, a header read as data); IDs with spaces around them trimmed."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client, IdSet, InvalidIDError
from compliance_frames.frames.ids import id_set
from compliance_frames.hints import Terms
from tests.conftest import EmulatorFactory, fast_client

DELETED = "1265324480517361664"
OK = "1265324480517361665"
CLI = Terms(options={"errors": "--errors"}, commands={})


@pytest.fixture
def client(make_emulator: EmulatorFactory, tmp_path: Path) -> Client:
    emulator = make_emulator(events={DELETED: "deleted"}, rate_window=10.0)
    return fast_client(emulator, tmp_path / "cache")


def frame_of(kind: str, values: list[Any]) -> Any:
    return pd.DataFrame({"id": values}) if kind == "pandas" else pl.DataFrame({"id": values})


FLOAT_MARKS = [
    ("1.23E+18", "1 is in scientific notation"),
    ("1265324480517440576.0", "1 ends in '.0' above 2**53"),
    ("20.0", "small enough to be exact"),
]
"""IDs that went through floats, and what the error says of them."""


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize(("value", "says"), FLOAT_MARKS)
def test_floats_marks_in_a_string_column(client: Client, kind: str, value: str, says: str) -> None:
    frame = frame_of(kind, [DELETED, value, OK])
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(frame, "id", client=client, progress=False)
    error = caught.value
    assert error.count == 1
    assert f"row 1: {value!r}" in error.problem
    assert says in error.problem
    assert "pd.read_csv(path, dtype={'id': str})" in str(error)
    assert "errors='skip'" in str(error)
    shell = error.render(CLI)
    assert "read_csv" not in shell
    assert "export the ids again from their source as text" in shell.lower()
    assert "--errors skip" in shell


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_a_header_read_as_data(client: Client, kind: str) -> None:
    frame = frame_of(kind, ["tweet_id", DELETED, OK])
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(frame, "id", client=client, progress=False)
    assert "row 0: 'tweet_id'" in caught.value.problem
    assert "the first row ('tweet_id') looks like a column name" in caught.value.problem
    assert "Drop the first row (a header read as data)" in str(caught.value)


def test_only_the_first_row_can_be_a_header(client: Client) -> None:
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(pl.DataFrame({"id": [DELETED, "abc"]}), "id", client=client)
    assert "column name" not in str(caught.value)


def test_python_floats_in_an_object_column(client: Client) -> None:
    frame = pd.DataFrame({"id": pd.Series([DELETED, 1.2653244805174405e18], dtype=object)})
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(frame, "id", client=client, progress=False)
    assert caught.value.examples == [(1, 1.2653244805174405e18)]
    assert "scientific notation" in caught.value.problem


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_a_float_column_is_refused_with_advice_per_front_end(client: Client, kind: str) -> None:
    frame = frame_of(kind, [1.2653244805174405e18, 5.0])
    with pytest.raises(InvalidIDError, match="holds floats") as caught:
        compliance_frames.check(frame, "id", client=client, progress=False)
    assert "pd.read_csv(path, dtype={'id': str})" in str(caught.value)
    shell = caught.value.render(CLI)
    assert "read_csv" not in shell
    assert "pl.String" not in shell
    assert "save the column 'id' as text" in shell.lower()


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_spaces_around_ids_are_trimmed_with_a_warning(client: Client, kind: str) -> None:
    values = [f" {DELETED}", f"{OK}\t", "  7 ", "8"]
    frame = frame_of(kind, values)
    with pytest.warns(UserWarning, match=r"3 ID\(s\) had spaces or tabs.*rows 0, 1, 2") as caught:
        flagged = compliance_frames.check(frame, "id", client=client, progress=False)
    assert caught[0].filename == __file__  # the warning points at the user's call
    rows = flagged.to_dict("records") if kind == "pandas" else flagged.to_dicts()
    assert [row["id"] for row in rows] == values  # the frame's values are left as they were
    assert [bool(row["compliance_deleted"]) for row in rows] == [True, False, False, False]
    assert list(frame["id"]) == values


@pytest.mark.parametrize("kind", ["polars", "dask"])
def test_lists_written_as_text_are_named_with_the_way_to_keep_them_lists(
    client: Client, kind: str
) -> None:
    """A reference column whose lists became strings (a CSV; Dask's convert-string on
    Python lists): said as such, before any job, with how to keep lists as lists."""
    refs = [f"['{OK}']", "[]"]
    if kind == "dask":
        import dask.dataframe as dd

        data = pd.DataFrame({"id": [DELETED, OK], "refs": [[OK], []]})
        frame: Any = dd.from_pandas(data, npartitions=1)  # (the lists become strings)
    else:
        frame = pl.DataFrame({"id": [DELETED, OK], "refs": refs})
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(frame, "id", tweet_refs="refs", client=client, progress=False)
    error = caught.value
    assert f"\"['{OK}']\"" in error.problem  # (rows named on polars, values on Dask)
    assert "2 are lists written as text" in error.problem
    assert "read the data from Parquet, where they stay lists" in str(error)
    assert "Parquet" in error.render(CLI)
    assert "Dask" not in error.render(CLI)
    assert client.list_jobs() == []


def test_spaces_inside_an_id_are_not_trimmed(client: Client) -> None:
    with pytest.raises(InvalidIDError, match="row 0: '12 34'"):
        compliance_frames.check(pl.DataFrame({"id": ["12 34", "5"]}), "id", client=client)


def test_no_warning_without_spaces(client: Client) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compliance_frames.check(
            pl.DataFrame({"id": [DELETED, "x"]}), "id", client=client, errors="skip", progress=False
        )


def test_frames_and_client_write_the_same_file() -> None:
    keys = pl.Series([30, 10, None, 30, 2**63], dtype=pl.UInt64)
    from_frame = id_set(keys)
    from_client = IdSet.from_ids(np.array([2**63, 10, 30], dtype=np.uint64))
    try:
        assert (
            from_frame.read_bytes() == from_client.read_bytes() == b"10\n30\n9223372036854775808\n"
        )
        assert (from_frame.count, from_frame.digest) == (from_client.count, from_client.digest)
    finally:
        from_frame.discard()
        from_client.discard()
