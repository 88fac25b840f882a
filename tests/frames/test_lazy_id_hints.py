"""A lazy frame's ID column (polars LazyFrame, Dask, DuckDB) says what an eager one says
when its values are not IDs: what kind of problem (floats' marks, a header read as data)
in a structured hint; IDs with spaces around them trimmed in the key, with one warning."""

from __future__ import annotations

import warnings
from typing import Any

import dask.dataframe as dd
import duckdb
import pandas as pd
import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client, InvalidIDError
from tests.frames.test_id_hints import CLI, DELETED, FLOAT_MARKS, OK, client

__all__ = ["client"]  # the fixture, shared with the eager tests

LAZY = ["polars-lazy", "dask", "duckdb"]


def frame_of(kind: str, values: list[Any]) -> Any:
    pdf = pd.DataFrame({"id": pd.Series(values, dtype=object)})
    if kind == "polars-lazy":
        return pl.LazyFrame({"id": values}, schema={"id": pl.String})
    if kind == "dask":
        return dd.from_pandas(pdf, npartitions=2)
    return duckdb.from_df(pdf)


def collected(kind: str, frame: Any) -> pd.DataFrame:
    """A lazy result (or input) as pandas, rows in order of their ID text (DuckDB keeps
    no order)."""
    if kind == "polars-lazy":
        table = frame.collect().to_pandas()
    elif kind == "dask":
        table = frame.compute()
    else:
        table = frame.df()
    return table.sort_values("id", key=lambda ids: ids.str.strip()).reset_index(drop=True)


def check(kind: str, values: list[Any], client: Client, **options: Any) -> Any:
    return compliance_frames.check(
        frame_of(kind, values), "id", client=client, progress=False, **options
    )


@pytest.mark.parametrize("kind", LAZY)
@pytest.mark.parametrize(("value", "says"), FLOAT_MARKS)
def test_floats_marks_in_a_string_column(client: Client, kind: str, value: str, says: str) -> None:
    with pytest.raises(InvalidIDError) as caught:
        check(kind, [DELETED, value, OK], client)
    error = caught.value
    assert error.count == 1
    assert error.examples == [(None, value)]
    assert f"such as {value!r}" in error.problem
    assert says in error.problem
    assert "pd.read_csv" not in error.problem  # Python advice is in the hint, not the text
    assert "pd.read_csv(path, dtype={'id': str})" in str(error)
    assert "errors='skip'" in str(error)
    shell = error.render(CLI)
    assert "read_csv" not in shell
    assert "export the ids again from their source as text" in shell.lower()
    assert "--errors skip" in shell


@pytest.mark.parametrize("kind", LAZY)
def test_a_header_read_as_data(client: Client, kind: str) -> None:
    with pytest.raises(InvalidIDError) as caught:
        check(kind, ["tweet_id", DELETED, OK], client)
    assert "such as 'tweet_id'" in caught.value.problem
    assert "the first row ('tweet_id') looks like a column name" in caught.value.problem
    assert "Drop the first row (a header read as data)" in str(caught.value)
    assert "Drop the first row" in caught.value.render(CLI)


@pytest.mark.parametrize("kind", LAZY)
def test_only_the_first_row_can_be_a_header(client: Client, kind: str) -> None:
    with pytest.raises(InvalidIDError) as caught:
        check(kind, [DELETED, "abc"], client)
    assert "column name" not in str(caught.value)
    assert "Fix or drop these rows, or pass errors='skip'" in str(caught.value)


@pytest.mark.parametrize("kind", LAZY)
def test_spaces_around_ids_are_trimmed_with_one_warning(client: Client, kind: str) -> None:
    values = [f" {DELETED}", f"{OK}\t", "  7 ", "8"]
    frame = frame_of(kind, values)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flagged = compliance_frames.check(frame, "id", client=client, progress=False)
        table = collected(kind, flagged)  # computing the result warns no more
    said = [w for w in caught if "spaces or tabs" in str(w.message)]
    assert len(said) == 1, [str(w.message) for w in said]
    assert issubclass(said[0].category, UserWarning)
    assert "3 ID(s) had spaces or tabs around them" in str(said[0].message)
    assert "the frame itself is unchanged" in str(said[0].message)
    assert said[0].filename == __file__  # the warning points at the user's call
    # The IDs are exact (the deleted one is found), the values left as they were.
    expected = {f" {DELETED}": True, f"{OK}\t": False, "  7 ": False, "8": False}
    assert dict(zip(table["id"], table["compliance_deleted"].astype(bool), strict=True)) == expected
    assert sorted(collected(kind, frame)["id"]) == sorted(values)


@pytest.mark.parametrize("kind", LAZY)
def test_spaces_inside_an_id_are_not_trimmed(client: Client, kind: str) -> None:
    with pytest.raises(InvalidIDError, match="such as '12 34'"):
        check(kind, ["12 34", "5"], client)


@pytest.mark.parametrize("kind", LAZY)
def test_no_warning_without_spaces(client: Client, kind: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flagged = check(kind, [DELETED, "x"], client, errors="skip")
        table = collected(kind, flagged)
    assert not [w for w in caught if "spaces or tabs" in str(w.message)]
    assert table["compliance_deleted"].isna().sum() == 1  # "x": unchecked
