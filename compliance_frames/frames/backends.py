"""Each kind of frame and what a check does differently for it: one entry each, chosen once.

Like narwhals' compliant layer, every kind of frame gets one small object that knows
how to take its IDs out (:meth:`Backend.ids`), name the rows whose IDs X refused
(:meth:`Backend.refused_error`), join the flags back (:meth:`Backend.attach`) and hand
results over in its own kind (:meth:`Backend.results`). :func:`backend_of` chooses the
entry, in one lookup; nothing else asks what kind a frame is.

=================  ======================================================================
entry              frames
=================  ======================================================================
``polars``         polars DataFrame
``polars-lazy``    polars LazyFrame (stays lazy)
``pandas``         pandas, Modin, cuDF (index and order kept)
``eager``          other eager frames (pyarrow, ...): through polars and back
``dask``           Dask: the pandas way on every partition (results one node of the
                   graph: each ``dask.distributed`` worker gets them once)
``spark``          PySpark (classic and Connect), SQLFrame: narwhals expressions, decimal
                   keys (no unsigned 64-bit integers), results broadcast (when small)
``lazy``           other lazy engines (DuckDB, Ibis, ...): narwhals expressions
=================  ======================================================================

Example:
    >>> import polars as pl
    >>> backend_of(nw.from_native(pl.LazyFrame({"id": [1]}))).name
    'polars-lazy'
    >>> backend_of(nw.from_native(pl.DataFrame({"id": [1]}).to_arrow())).name
    'eager'
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Iterator
from typing import Any, Protocol

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from ..client import IdSet
from ..errors import InvalidIDError
from ..timing import phase
from .attach import (
    Join,
    arrow_backed,
    attach_narwhals,
    attach_pandas_like,
    attach_polars,
    attach_polars_lazy,
)
from .flags import KEY
from .ids import (
    KEY_DTYPE,
    TRIMMED,
    WIDE_KEY,
    IdColumn,
    column_keys,
    id_set,
    list_series,
    nw_key,
    nw_trimmed,
    refused_rows_error,
    to_engine,
    to_polars_series,
    trimmed_keys_of,
)
from .ranges import refused_values_error, stream_id_set

__all__ = ["BACKENDS", "Backend", "backend_of", "collected", "quiet_dask"]

Frame = nw.DataFrame[Any] | nw.LazyFrame[Any]


@contextlib.contextmanager
def quiet_dask() -> Iterator[None]:
    """narwhals warns on every Dask frame that Dask support will move; not our users' concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Dask support.*", category=FutureWarning)
        yield


class Backend(Protocol):
    """What a check does differently for one kind of frame."""

    name: str
    lazy: bool
    """Whether the frame is a plan: computing it is the user's call (a report needs it)."""
    lists: bool
    """Whether reference columns holding lists of IDs can be mapped back to their rows."""

    def ids(self, frame: Any, columns: list[IdColumn], *, errors: str, what: str) -> IdSet:
        """The distinct valid IDs of ``columns`` (each ID once), as the file to upload (or
        an error naming the values that are not IDs, unless ``errors="skip"``)."""
        ...

    def refused_error(
        self, frame: Any, column: IdColumn, refused: pl.Series, what: str, answer: str
    ) -> InvalidIDError:
        """The error naming the rows (or values) whose IDs X refused (``refused``: keys)."""
        ...

    def keyed(
        self, frame: Any, column: str, dtype: Any, *, listed: bool = False
    ) -> nw.LazyFrame[Any]:
        """``column``, its key (``KEY``: UInt64, null where not an ID) and whether the ID had
        spaces or tabs around it (``TRIMMED``), row by row, as a lazy frame: what
        :mod:`~compliance_frames.frames.ranges` streams IDs out of (no warning here: it
        warns once, with the count). A list column (``listed``) is exploded first: one
        row per ID, ``column`` holding the ID."""
        ...

    def attach(self, frame: Any, join: Join) -> Any:
        """A new native frame: ``frame`` with the added columns of the flag rule."""
        ...

    def results(self, frame: Any, table: pl.DataFrame) -> Any:
        """The results ``table`` in the kind of ``frame``."""
        ...


class _Eager:
    """Eager frames: IDs in memory, refused IDs named by row."""

    name = "eager"
    lazy = False
    lists = True

    def ids(
        self, frame: nw.DataFrame[Any], columns: list[IdColumn], *, errors: str, what: str
    ) -> IdSet:
        with phase("extract and validate IDs"):
            keys = [column_keys(frame, column, errors=errors, what=what) for column in columns]
        with phase("serialise IDs"):
            return id_set(keys[0] if len(keys) == 1 else pl.concat(keys))

    def refused_error(
        self, frame: nw.DataFrame[Any], column: IdColumn, refused: pl.Series, what: str, answer: str
    ) -> InvalidIDError:
        return refused_rows_error(frame, column.name, refused, what, answer, column.listed)

    def keyed(
        self, frame: nw.DataFrame[Any], column: str, dtype: Any, *, listed: bool = False
    ) -> nw.LazyFrame[Any]:
        values = to_polars_series(frame, column)
        keys, trimmed = trimmed_keys_of(frame, column)
        if trimmed is None:
            trimmed = pl.repeat(False, keys.len(), eager=True)
        keyed = pl.LazyFrame([values, keys.alias(KEY), trimmed.alias(TRIMMED)])
        return nw.from_native(keyed)

    def attach(self, frame: nw.DataFrame[Any], join: Join) -> Any:
        """Through polars and back."""
        result = attach_polars(frame.to_polars(), join)
        return nw.from_native(result).lazy().collect(backend=frame.implementation).to_native()

    def results(self, frame: nw.DataFrame[Any], table: pl.DataFrame) -> Any:
        return nw.from_native(table).lazy().collect(backend=frame.implementation).to_native()


class _PolarsEager(_Eager):
    name = "polars"

    def attach(self, frame: nw.DataFrame[Any], join: Join) -> Any:
        return attach_polars(frame.to_native(), join)

    def results(self, frame: nw.DataFrame[Any], table: pl.DataFrame) -> Any:
        return table


class _PandasLike(_Eager):
    name = "pandas"

    def attach(self, frame: nw.DataFrame[Any], join: Join) -> Any:
        return attach_pandas_like(frame, join)

    def results(self, frame: nw.DataFrame[Any], table: pl.DataFrame) -> Any:
        return table.to_pandas(use_pyarrow_extension_array=arrow_backed(frame.to_native()))


class _Lazy:
    """Lazy engines: IDs streamed range by range (bounded memory), refused IDs named by value;
    the flags joined with narwhals expressions."""

    name = "lazy"
    lazy = True
    lists = False  # (SQL engines keep no row order to gather a list's reasons back by)
    key: Any = KEY_DTYPE
    """The dtype of the keys in the engine (see :func:`~compliance_frames.frames.ids.nw_key`)."""

    def ids(
        self, frame: nw.LazyFrame[Any], columns: list[IdColumn], *, errors: str, what: str
    ) -> IdSet:
        with phase("extract, validate and serialise IDs"), quiet_dask():
            return stream_id_set(frame, columns, errors=errors, what=what)

    def refused_error(
        self, frame: nw.LazyFrame[Any], column: IdColumn, refused: pl.Series, what: str, answer: str
    ) -> InvalidIDError:
        with quiet_dask():
            return refused_values_error(frame, column.name, refused, what, answer, column.listed)

    def keyed(
        self, frame: nw.LazyFrame[Any], column: str, dtype: Any, *, listed: bool = False
    ) -> nw.LazyFrame[Any]:
        if listed:
            frame, dtype = frame.select(column).explode(column), dtype.inner
        return frame.select(
            nw.col(column),
            nw_key(column, dtype, key=self.key).alias(KEY),
            nw_trimmed(column, dtype, key=self.key).alias(TRIMMED),
        )

    def attach(self, frame: nw.LazyFrame[Any], join: Join) -> Any:
        return attach_narwhals(frame, join, key=self.key)

    def results(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        cast = table.with_columns(pl.col(["action", "reason"]).cast(pl.String))
        with quiet_dask():
            return to_engine(frame, cast).to_native()


class _Spark(_Lazy):
    """Spark (and Spark-like engines): no unsigned 64-bit integers, so the keys are
    ``Decimal(20, 0)``, exact for every ID; the per-ID tables (one row per ID with an
    event), when small (:data:`BROADCAST_ROWS`), are broadcast to the executors, so the
    frame is joined where it lies, never shuffled. The result is a Spark plan: nothing
    runs until the user acts."""

    name = "spark"
    key = WIDE_KEY

    def attach(self, frame: nw.LazyFrame[Any], join: Join) -> Any:
        spark = frame.implementation.is_pyspark() or frame.implementation.is_pyspark_connect()
        small = all(table.height <= BROADCAST_ROWS for _, _, table, _ in join.sources())
        return attach_narwhals(
            frame, join, key=self.key, small=_broadcast if spark and small else None
        )


BROADCAST_ROWS = 1_000_000
"""Per-ID tables up to this many rows (IDs with an event; some 50 MB on the executors) are
broadcast; larger ones are left to Spark's own choice (a sort-merge join), since a
broadcast is built in the driver's memory."""


def _broadcast(table: Any) -> Any:
    """A Spark DataFrame marked to be broadcast to every executor in a join."""
    from pyspark.sql import functions

    return functions.broadcast(table)


class _PolarsLazy(_Lazy):
    name = "polars-lazy"
    lists = True

    def attach(self, frame: nw.LazyFrame[Any], join: Join) -> Any:
        return attach_polars_lazy(frame.to_native(), join)

    def results(self, frame: nw.LazyFrame[Any], table: pl.DataFrame) -> Any:
        return table.lazy()


class _Dask(_Lazy):
    """Dask: every partition goes the pandas way (exact keys for every dtype; index and
    order kept)."""

    name = "dask"
    lists = True

    def keyed(
        self, frame: nw.LazyFrame[Any], column: str, dtype: Any, *, listed: bool = False
    ) -> nw.LazyFrame[Any]:
        import pandas as pd

        def partition(pdf: Any) -> Any:
            if listed:
                pdf = _exploded(pdf[[column]], column)
            keys, trimmed = trimmed_keys_of(nw.from_native(pdf[[column]], eager_only=True), column)
            values = keys.fill_null(0).to_numpy()
            array = pd.arrays.IntegerArray(values, keys.is_null().to_numpy())
            spaced = np.zeros(len(pdf), dtype=bool) if trimmed is None else trimmed.to_numpy()
            return pd.DataFrame({column: pdf[column], KEY: array, TRIMMED: spaced}, index=pdf.index)

        native = frame.to_native()
        keyed: nw.LazyFrame[Any] = nw.from_native(
            native.map_partitions(partition, meta=partition(native._meta))
        )
        return keyed

    def attach(self, frame: nw.LazyFrame[Any], join: Join) -> Any:
        """Every partition joined the pandas way. The per-ID tables are one node of the
        graph, which every task names by its key: on a ``dask.distributed`` cluster they
        reach each worker once (not inside every task), and a worker lost and restarted
        gets them again (data scattered by hand could not be recovered)."""
        from dask.delayed import delayed

        native = frame.to_native()
        shipped = delayed(join, name=f"compliance-results-{uuid.uuid4().hex}", traverse=False)
        with quiet_dask():
            return native.map_partitions(
                _attach_partition, shipped, meta=_attach_partition(native._meta, join)
            )


def _attach_partition(pdf: Any, join: Join) -> Any:
    """One pandas partition of a Dask frame with the added columns."""
    return attach_pandas_like(nw.from_native(pdf, eager_only=True), join)


def _exploded(pdf: Any, column: str) -> Any:
    """A pandas frame's list column, one row per ID (as text: an arrow list's IDs too)."""
    import pandas as pd

    flat = list_series(nw.from_native(pdf, eager_only=True), column).explode()
    return pd.DataFrame({column: pd.array(flat.cast(pl.String).to_list(), dtype=object)})


_EAGER, _LAZY = _Eager(), _Lazy()
_PANDAS = _PandasLike()
_SPARK = _Spark()

BACKENDS: dict[tuple[nw.Implementation, bool], Backend] = {
    (nw.Implementation.POLARS, False): _PolarsEager(),
    (nw.Implementation.POLARS, True): _PolarsLazy(),
    (nw.Implementation.PANDAS, False): _PANDAS,
    (nw.Implementation.MODIN, False): _PANDAS,
    (nw.Implementation.CUDF, False): _PANDAS,
    (nw.Implementation.DASK, True): _Dask(),
    (nw.Implementation.PYSPARK, True): _SPARK,
    (nw.Implementation.PYSPARK_CONNECT, True): _SPARK,
    (nw.Implementation.SQLFRAME, True): _SPARK,
}
"""The entries by (implementation, lazy); other kinds get the ``eager`` or ``lazy`` entry."""


def backend_of(frame: Frame) -> Backend:
    """The entry of :data:`BACKENDS` for a narwhals frame: the one place a kind is chosen."""
    lazy = isinstance(frame, nw.LazyFrame)
    return BACKENDS.get((frame.implementation, lazy), _LAZY if lazy else _EAGER)


def collected(frame: Frame) -> pl.DataFrame:
    """A small frame (counts, a summary's table) as a polars DataFrame, computed if lazy.

    Example:
        >>> import polars as pl
        >>> collected(nw.from_native(pl.LazyFrame({"rows": [3]}))).item()
        3
    """
    if backend_of(frame).lazy:
        frame = frame.collect(backend="polars")  # type: ignore[union-attr]
    result: pl.DataFrame = frame.to_polars()  # type: ignore[union-attr]
    return result
