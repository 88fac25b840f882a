"""A research dataset with every kind of event, in every kind of frame, and a client
for an emulator that knows those events.

The emulator answers in the format of its flow: ``gcs`` writes every event (T_MULTI has
two: scrub_geo and protected), ``bytepath`` one event per ID (T_MULTI: protected only),
so what is expected of T_MULTI depends on the flow (see :func:`tweet_events`).

Frames are made by a table of constructors (:data:`CONSTRUCTORS`, the ``constructor``
fixture), each saying what to expect of its kind of frame (``constructor.lazy``,
``.indexed``...). A dataframe test runs on the bytepath flow unless it is marked
``@pytest.mark.flow("bytepath", "gcs")``, as those whose expectations depend on the
results format are (see ``flows_of`` in ``tests/conftest.py``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from compliance_frames import Client
from tests.conftest import EmulatorFactory, fast_client

T_DELETED = "1265324480517361664"
T_OK = "1265324480517361665"
T_GEO = "906972198136631298"
T_MULTI = "1182427463398813696"  # scrub_geo and protected
T_UNKNOWN = "1000000000000000001"  # a reason this version does not know
T_SUSPENDED = "1450000000000000000"
T_DEACTIVATED = "1460000000000000000"
T_EDITED = "1470000000000000000"  # edited: action rehydrate (bytepath), delete (gcs)
T_GEO_NEW = "1480000000000000000"  # geo scrubbed, spelled as the byte-path flow does
U_OK, U_SUSPENDED, U_PROTECTED, U_DEACTIVATED, U_DELETED = 101, 102, 103, 104, 105

EVENTS = {
    "tweets": {
        T_DELETED: "deleted",
        T_GEO: "scrub_geo",
        T_MULTI: ["scrub_geo", {"reason": "protected", "redacted_at": "2022-01-01T00:00:00.000Z"}],
        T_UNKNOWN: "bounced",
        T_SUSPENDED: "suspended",
        T_DEACTIVATED: {"reason": "deactivated", "redacted_at": None},
        T_EDITED: "tweet_edited",
        T_GEO_NEW: "geo_scrubbed",
    },
    "users": {
        str(U_SUSPENDED): "suspended",
        str(U_PROTECTED): "protected",
        str(U_DEACTIVATED): "deactivated",
        str(U_DELETED): "deleted",
    },
}

TWEETS = [
    T_DELETED,
    T_OK,
    T_GEO,
    T_MULTI,
    T_DELETED,
    T_UNKNOWN,
    T_SUSPENDED,
    T_DEACTIVATED,
    T_OK,
    T_EDITED,
    T_GEO_NEW,
]
AUTHORS = [
    U_OK,
    U_SUSPENDED,
    U_OK,
    U_PROTECTED,
    U_OK,
    U_DEACTIVATED,
    U_DELETED,
    U_OK,
    U_OK,
    U_OK,
    U_OK,
]
N = len(TWEETS)
INDEX = [f"r{i}" for i in range(N)]
DATA: dict[str, list[Any]] = {
    "tweet_id": TWEETS,
    "author_id": AUTHORS,
    "text": [f"tweet {i}" for i in range(N)],
    "lat": [float(i) for i in range(N)],
    "lon": [float(-i) for i in range(N)],
}

# Expected tweet-level (reason, flags) per tweet; flags in the order of FLAGS.
FLAGS = ("deleted", "suspended", "protected", "scrub_geo", "deactivated", "edited")
TWEET_EVENTS: dict[str, tuple[str | None, set[str]]] = {
    T_DELETED: ("deleted", {"deleted"}),
    T_OK: (None, set()),
    T_GEO: ("scrub_geo", {"scrub_geo"}),
    T_MULTI: ("protected", {"protected", "scrub_geo"}),
    T_UNKNOWN: ("bounced", set()),
    T_SUSPENDED: ("suspended", {"suspended"}),
    T_DEACTIVATED: ("deactivated", {"deactivated"}),
    T_EDITED: ("tweet_edited", {"edited"}),
    T_GEO_NEW: ("geo_scrubbed", {"scrub_geo"}),
}
"""The expectations of the older format (several events per ID): the gcs flow's."""


def tweet_events(flow: str) -> dict[str, tuple[str | None, set[str]]]:
    """Expected tweet-level (reason, flags) per tweet in the format of ``flow``: the
    byte-path flow reports one event per ID, so T_MULTI is protected, not geo scrubbed."""
    if flow == "gcs":
        return TWEET_EVENTS
    return {**TWEET_EVENTS, T_MULTI: ("protected", {"protected"})}


def tweet_results(flow: str) -> list[tuple[str, str]]:
    """The (id, reason) of every tweet event the emulator of ``flow`` reports."""
    if flow == "gcs":
        return [
            (tweet, reason if isinstance(reason, str) else reason["reason"])
            for tweet, spec in EVENTS["tweets"].items()
            for reason in (spec if isinstance(spec, list) else [spec])
        ]
    events = tweet_events(flow)
    return [(tweet, str(events[tweet][0])) for tweet in EVENTS["tweets"]]


USER_EVENTS: dict[int, str | None] = {
    U_OK: None,
    U_SUSPENDED: "suspended",
    U_PROTECTED: "protected",
    U_DEACTIVATED: "deactivated",
    U_DELETED: "deleted",
}


def pandas_rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """A pandas frame's columns as tuples, missing values as None."""
    return [
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame[columns].itertuples(index=False)
    ]


def rows_by_text(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """:func:`pandas_rows` in the dataset's row order, by the number that ends each row's
    ``text`` (for engines that keep no row order: Spark, DuckDB and the like)."""
    order = frame.sort_values("text", key=lambda text: text.str.split().str[-1].astype(int))
    return pandas_rows(order, columns)


def expected_tweet_rows(flow: str) -> list[tuple[Any, ...]]:
    """(tweet_id, reason, *flags) of every row of the dataset, as a tweets check gives them."""
    out = []
    for tweet in TWEETS:
        reason, flags = tweet_events(flow)[tweet]
        out.append((tweet, reason, *(f in flags for f in FLAGS)))
    return out


def expected_combined_rows(flow: str) -> list[tuple[Any, ...]]:
    """(tweet_id, reason, user_reason, *flags) of every row, as a check with user_col gives."""
    out = []
    for tweet, author in zip(TWEETS, AUTHORS, strict=True):
        reason, flags = tweet_events(flow)[tweet]
        user_reason = USER_EVENTS[author]
        combined = set(flags) | ({user_reason} if user_reason else set())
        out.append((tweet, reason, user_reason, *(f in combined for f in FLAGS)))
    return out


def _pandas(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    return pd.DataFrame(data, index=index)


def _pandas_pyarrow(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    frame = pd.DataFrame(data, index=index)
    return frame.astype(
        {name: pd.ArrowDtype(pa.array(values).type) for name, values in data.items()}
    )


def _polars(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    return pl.DataFrame(data)


def _polars_lazy(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    return pl.DataFrame(data).lazy()


def _dask(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    return dd.from_pandas(pd.DataFrame(data, index=index), npartitions=3, sort=False)


def _duckdb(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    import duckdb

    return duckdb.from_df(pd.DataFrame(data))


def _sqlframe(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    from sqlframe.duckdb import DuckDBSession

    return DuckDBSession().createDataFrame(pd.DataFrame(data))


def _ibis(data: dict[str, list[Any]], index: list[str] | None) -> Any:
    import ibis

    return ibis.memtable(pd.DataFrame(data))


@dataclass(frozen=True)
class Constructor:
    """How to make the dataset as a frame of one library, and what to expect of that kind
    of frame (the model is narwhals' ``tests/conftest.py``): tests ask ``constructor.lazy``
    rather than comparing backend names.

    >>> POLARS_LAZY().collect().height == N
    True
    """

    name: str
    build: Callable[[dict[str, list[Any]], list[str] | None], Any] = field(repr=False)
    lazy: bool = False
    """Computed on demand (a polars LazyFrame, Dask, DuckDB): errors name values, not rows."""
    indexed: bool = False
    """Has a row index (pandas-like): results keep the input's index labels."""
    pyarrow_dtypes: bool = False
    """Holds pyarrow-backed pandas dtypes: flags are ``bool[pyarrow]``, reasons dictionaries."""
    nullable_flags: str | None = None
    """The dtype of flag columns that hold nulls (refused IDs skipped), where it is named."""
    accessor: bool = True
    """Has the ``.compliance`` accessor."""

    def __call__(
        self, data: dict[str, list[Any]] | None = None, index: list[str] | None = None
    ) -> Any:
        """The dataset (or ``data``) as a frame of this kind; the dataset keeps its index."""
        data = DATA if data is None else data
        index = INDEX if index is None and data is DATA else index
        return self.build(data, index)

    def __str__(self) -> str:
        return self.name


PANDAS = Constructor("pandas", _pandas, indexed=True, nullable_flags="boolean")
PANDAS_PYARROW = Constructor("pandas-pyarrow", _pandas_pyarrow, indexed=True, pyarrow_dtypes=True)
POLARS = Constructor("polars", _polars)
POLARS_LAZY = Constructor("polars-lazy", _polars_lazy, lazy=True)
DASK = Constructor("dask", _dask, lazy=True, indexed=True, nullable_flags="boolean", accessor=False)
DUCKDB = Constructor("duckdb", _duckdb, lazy=True, accessor=False)
SQLFRAME = Constructor("sqlframe", _sqlframe, lazy=True, accessor=False)
IBIS = Constructor("ibis", _ibis, lazy=True, accessor=False)

SQL_ENGINES = [DUCKDB, SQLFRAME, IBIS]
"""Lazy SQL engines narwhals reaches (each on DuckDB here): no row order, one ID per row."""

CONSTRUCTORS = [PANDAS, PANDAS_PYARROW, POLARS, POLARS_LAZY, DASK]
"""The frames every dataframe test runs on (DuckDB, which keeps no row order, has tests
of its own)."""
BY_NAME = {constructor.name: constructor for constructor in [*CONSTRUCTORS, DUCKDB]}


def constructors(*names: str) -> list[Any]:
    """Some constructors, to parametrise a test over: ``constructors("pandas", "dask")``."""
    return [pytest.param(BY_NAME[name], id=name) for name in names]


def materialise(frame: Any) -> pd.DataFrame:
    """Any result as pandas (index kept where there is one)."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame.to_pandas()
    if isinstance(frame, dd.DataFrame):
        return frame.compute()
    return frame


def plain(value: Any) -> Any:
    """A cell as a plain Python value (None for every kind of missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def rows(frame: Any, columns: list[str]) -> list[tuple[Any, ...]]:
    """The given columns, row by row, as plain values."""
    table = materialise(frame)
    return [tuple(plain(v) for v in row) for row in table[columns].itertuples(index=False)]


def snapshot(frame: Any) -> Any:
    """A copy of the input to prove it was not modified."""
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, dd.DataFrame):
        return frame.compute()
    return frame.clone() if isinstance(frame, pl.DataFrame) else frame.copy(deep=True)


def assert_unchanged(frame: Any, before: Any) -> None:
    now = snapshot(frame)
    if isinstance(now, pl.DataFrame):
        assert now.equals(before)
        assert now.columns == before.columns
    else:
        pd.testing.assert_frame_equal(now, before)


@pytest.fixture
def events_emulator(make_emulator: EmulatorFactory) -> Any:
    return make_emulator(events=EVENTS, rate_window=10.0)


@pytest.fixture
def client(events_emulator: Any, tmp_path: Path) -> Client:
    return fast_client(events_emulator, tmp_path / "cache")


@pytest.fixture(params=CONSTRUCTORS, ids=str)
def constructor(request: pytest.FixtureRequest) -> Constructor:
    """Every kind of frame in :data:`CONSTRUCTORS`, one test each."""
    constructor: Constructor = request.param
    return constructor


@pytest.fixture
def events_client(make_emulator: EmulatorFactory, tmp_path: Path) -> Any:
    """Make a client of a fresh emulator that knows the dataset's events plus those given
    per job type (such as ``{id: "invalid_id"}``), in the format of the test's flow."""

    def make(tweets: dict[str, Any] | None = None, users: dict[str, Any] | None = None) -> Client:
        emulator = make_emulator(
            events={
                "tweets": {**EVENTS["tweets"], **(tweets or {})},
                "users": {**EVENTS["users"], **(users or {})},
            },
            rate_window=10.0,
        )
        return fast_client(emulator, tmp_path / "cache")

    return make
