"""The flag rule, said once, and the backend table: every kind of frame gets its columns
from the same rule, and each kind is chosen in one place."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import duckdb
import narwhals.stable.v2 as nw
import pandas as pd
import polars as pl
import pytest

from compliance_frames.frames import FLAGS, backends
from compliance_frames.frames.attach import (
    Join,
    attach_narwhals,
    numpy_columns,
    polars_columns,
)
from compliance_frames.frames.backends import backend_of, quiet_dask
from compliance_frames.frames.events import per_id, read_results
from compliance_frames.frames.flags import (
    AUTHOR,
    KEY,
    TWEET,
    USER_KEY,
    Event,
    Flag,
    Layout,
    expressions,
    rule,
)

TWEETS = per_id(
    read_results(
        b'{"id":"1","action":"delete","reason":"deleted","redacted_at":"2022-01-01T00:00:00Z"}\n'
        b'{"id":"2","action":"scrub_geo","reason":"geo_scrubbed"}\n'
        b'{"id":"3","action":"rehydrate","reason":"tweet_edited"}\n'
        b'{"id":"4","action":"delete","reason":"bounced"}\n'
        b'{"id":"5","reason":"scrub_geo"}\n'
        b'{"id":"5","reason":"protected"}\n'
    )
)
USERS = per_id(read_results(b'{"id":"7","action":"delete","reason":"suspended"}\n'))
# Rows: the tweet's ID and the author's; None stands for a value that is not an ID.
ROWS = [(1, 8), (2, 7), (3, 8), (4, 8), (5, 7), (6, 8), (None, 7), (None, 8), (1, None)]


def _join(users: bool, nullable: bool) -> Join:
    layout = Layout("c_", users=users, nullable=nullable)
    return Join("id", "author" if users else None, TWEETS, USERS if users else None, layout, [])


def _keys(users: bool, nullable: bool) -> dict[Any, pl.Series]:
    rows = ROWS if nullable else [row for row in ROWS if None not in row]
    keys = {TWEET: pl.Series([t for t, _ in rows], dtype=pl.UInt64)}
    if users:
        keys[AUTHOR] = pl.Series([u for _, u in rows], dtype=pl.UInt64)
    return keys


def _plain(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String)).rows()


def test_the_layout_names_the_rule_columns_in_order() -> None:
    layout = Layout("c_", users=True, nullable=True)
    columns = rule(layout)
    assert layout.names() == [column.name for column in columns]
    assert [c.field for c in columns if isinstance(c, Event) and c.source is TWEET] == [
        "reason",
        "action",
        "redacted_at",
    ]
    flags = [column for column in columns if isinstance(column, Flag)]
    assert [flag.flag for flag in flags] == list(FLAGS)
    assert all(flag.sources == (TWEET, AUTHOR) and flag.nullable for flag in flags)
    assert layout.names()[-4:-1] == ["c_user_reason", "c_user_action", "c_user_redacted_at"]
    assert layout.names()[-1] == "c_checked_at"
    alone = rule(Layout("c_", users=False))
    assert all(column.sources == (TWEET,) for column in alone if isinstance(column, Flag))
    assert len(alone) == 3 + len(FLAGS) + 2  # the roll-up, {prefix}remove, and checked_at
    assert alone[-2].name == "c_remove"
    assert alone[-1].name == "c_checked_at"


def test_flags_combine_the_tweet_and_its_author_with_kleene_or() -> None:
    # (tweet key, tweet deleted, author key, author deleted) -> the row's deleted flag
    cases = [
        ((1, True, 7, None), True),  # the tweet's event sets it
        ((1, None, 7, True), True),  # the author's event sets it
        ((1, None, 7, None), False),  # no event: False
        ((None, None, 7, True), True),  # an invalid tweet ID, a deleted author: True wins
        ((None, None, 7, None), None),  # an invalid tweet ID, nothing known: null
        ((1, None, None, None), None),  # an invalid author ID: null unless something is set
    ]
    columns: dict[str, list[Any]] = {KEY: [], USER_KEY: []}
    for source in (TWEET, AUTHOR):
        columns |= {source.column(name): [None] * len(cases) for name in ("reason", "action")}
        columns[source.column("redacted_at")] = [None] * len(cases)
        columns |= {source.column(flag): [None] * len(cases) for flag in FLAGS}
    for row, ((tweet, deleted, author, user_deleted), _) in enumerate(cases):
        columns[KEY].append(tweet)
        columns[USER_KEY].append(author)
        columns[TWEET.column("deleted")][row] = deleted
        columns[AUTHOR.column("deleted")][row] = user_deleted
    joined = pl.DataFrame(columns, schema_overrides={KEY: pl.UInt64, USER_KEY: pl.UInt64})
    layout = Layout("c_", users=True, nullable=True)
    expected = [flag for _, flag in cases]
    assert joined.select(expressions(layout, pl))["c_deleted"].to_list() == expected
    through_narwhals = nw.from_native(joined).select(*expressions(layout, nw))
    assert through_narwhals["c_deleted"].to_list() == expected


@pytest.mark.parametrize("users", [False, True], ids=["tweets", "with-authors"])
@pytest.mark.parametrize("nullable", [False, True], ids=["raise", "skip"])
def test_every_way_makes_the_same_columns(users: bool, nullable: bool) -> None:
    join, keys = _join(users, nullable), _keys(users, nullable)
    from_polars = polars_columns(keys, join)
    assert from_polars.columns == join.layout.names()
    deleted = from_polars["c_deleted"].to_list()
    if not nullable:
        assert None not in deleted

    index = pd.RangeIndex(len(keys[TWEET]))
    from_numpy = pl.from_pandas(pd.DataFrame(numpy_columns(keys, join, index)))
    assert from_numpy.columns == from_polars.columns
    assert _plain(from_numpy) == _plain(from_polars)
    flag_dtype = "boolean" if nullable else "bool"
    assert str(pd.DataFrame(numpy_columns(keys, join, index))["c_edited"].dtype) == flag_dtype

    rows = pl.DataFrame(
        {"id": keys[TWEET], **({"author": keys[AUTHOR]} if users else {})}
    ).with_row_index("row")
    from_narwhals = attach_narwhals(nw.from_native(rows.lazy()), join).collect().sort("row")
    assert _plain(from_narwhals.select(join.layout.names())) == _plain(from_polars)


def test_refused_ids_get_null_flags_like_values_that_are_not_ids() -> None:
    layout = Layout("c_", users=False, nullable=True)
    join = Join("id", None, TWEETS, None, layout, [], refused=pl.Series([3], dtype=pl.UInt64))
    frame = pl.DataFrame({"id": ["1", "3", "x", "6"]})
    out = backend_of(nw.from_native(frame)).attach(nw.from_native(frame), join)
    assert out["c_deleted"].to_list() == [True, None, None, False]
    assert out["c_edited"].to_list() == [False, None, None, False]


def _constructors() -> dict[str, Any]:
    data = pd.DataFrame({"id": ["1", "2", "x", "5"]})
    return {
        "pandas": lambda: data,
        "pandas-pyarrow": lambda: data.astype("string[pyarrow]"),
        "polars": lambda: pl.from_pandas(data),
        "polars-lazy": lambda: pl.from_pandas(data).lazy(),
        "pyarrow": lambda: pl.from_pandas(data).to_arrow(),
        "dask": lambda: dd.from_pandas(data, npartitions=2),
        "duckdb": lambda: duckdb.from_df(data),
    }


CHOSEN = {
    "pandas": "pandas",
    "pandas-pyarrow": "pandas",
    "polars": "polars",
    "polars-lazy": "polars-lazy",
    "pyarrow": "eager",
    "dask": "dask",
    "duckdb": "lazy",
}


@pytest.mark.parametrize("kind", list(CHOSEN))
def test_one_entry_per_kind_of_frame_and_the_same_keys_from_each(kind: str) -> None:
    with quiet_dask():
        frame = nw.from_native(_constructors()[kind]())
        backend = backend_of(frame)
        assert backend.name == CHOSEN[kind]
        keyed = backend.keyed(frame, "id", frame.collect_schema()["id"])
        keys = keyed.collect(backend="polars").to_native()[KEY]
    assert sorted(keys.to_list(), key=str) == [1, 2, 5, None]


def test_the_kind_of_a_frame_is_chosen_in_one_place() -> None:
    # The seam of issue 12: no module but the backends' table asks what engine a frame
    # is, and check() and results() look their backend up once, in one function.
    folder = Path(backends.__file__).parent
    for name in ("attach.py", "checking.py", "flags.py", "ranges.py"):
        text = (folder / name).read_text()
        assert "implementation.is_" not in text, name
        assert "Implementation." not in text, name
    calls = [
        node
        for node in ast.walk(ast.parse((folder / "checking.py").read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "backend_of"
    ]
    assert len(calls) == 1
