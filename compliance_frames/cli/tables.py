"""Reading and writing the datasets of ``compliance-frames check``: CSV, Parquet, NDJSON.

ID columns of text files are read as strings, so that no ID becomes a float on the way.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import polars as pl

from ..errors import InputError
from ..files import atomic_write
from .common import UsageError, os_advice, quotes_os_error, writing

FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}

AGAIN = (
    "Run the same command again once that is fixed: it finds the same jobs and their results "
    "again, no new job is needed."
)
"""How to get an output that could not be written: the jobs' results are kept."""


def format_of(path: Path) -> str:
    """The format a path's suffix names."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(
            f"Cannot tell the format of {path.name!r} from its suffix: use .csv, .parquet or "
            ".ndjson (.jsonl)."
        ) from None


def read_table(path: Path, id_columns: list[str]) -> pl.DataFrame:
    """A dataset, its ID columns as strings (text formats)."""
    if path.is_dir():
        raise InputError(f"{path} is a folder: give the dataset file (.csv, .parquet, .ndjson).")
    if not path.is_file():
        raise InputError(f"No such file: {path}")
    kind = format_of(path)
    overrides = {name: pl.String for name in id_columns}
    try:
        if kind == "csv":
            return pl.read_csv(path, schema_overrides=overrides, infer_schema_length=10_000)
        if kind == "ndjson":
            return pl.read_ndjson(path, schema_overrides=overrides, infer_schema_length=10_000)
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "utf-8" in first.lower() or "utf8" in first.lower():
            raise InputError(
                f"Cannot read {path} as {kind.upper()}: it is not UTF-8 text ({first}). Save it "
                "as UTF-8 (e.g. `iconv -f latin1 -t utf-8`, or 'CSV UTF-8' in a spreadsheet) "
                "and run the command again."
            ) from None
        raise InputError(
            f"Cannot read {path} as {kind.upper()}: {first}. Check that the file is complete "
            "and that its suffix names its format."
        ) from None


def check_format(frame: pl.DataFrame, path: Path, option: str) -> None:
    """Refuse, before any job runs, an output whose format cannot hold the dataset's columns
    (CSV has no lists, structs or bytes; NDJSON no bytes)."""
    kind = format_of(path)
    if kind == "parquet":
        return
    refused = [name for name in frame.columns if not _writable(frame.select(name), kind)]
    if refused:
        listed = ", ".join(repr(name) for name in refused[:5])
        raise UsageError(
            f"{option} {path}: {kind.upper()} cannot hold the column(s) {listed} of this dataset "
            f"({', '.join(str(frame.schema[name]) for name in refused[:5])}). Write it as "
            ".parquet, or drop those columns first."
        )


def _writable(column: pl.DataFrame, kind: str) -> bool:
    """Whether a one-column frame can be written in ``kind`` (tried on its first row)."""
    if kind == "ndjson" and column.dtypes[0] == pl.Binary:  # polars panics on it
        return False
    try:
        _write(column.head(1), io.BytesIO(), kind)
    except pl.exceptions.PolarsError:
        return False
    return True


def write_table(frame: pl.DataFrame, path: Path, option: str) -> Path:
    """Write ``frame`` in the format of ``path``'s suffix, atomically.

    A failure (a full disk, a permission taken away) is a :class:`UsageError` naming
    ``option`` and ``path``; the temporary file is removed, ``path`` left as it was.
    """
    kind = format_of(path)
    try:
        with writing(path, option, again=AGAIN), atomic_write(path) as sink:
            _write(frame, sink, kind)
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if quotes_os_error(first):  # the disk, not the format: "... IO error: [Errno 28] ..."
            raise UsageError(
                f"Could not write {option} {path}: {first}. {os_advice(first)} {path} is left "
                f"as it was before. {AGAIN}"
            ) from None
        raise UsageError(
            f"Could not write {option} {path} as {kind.upper()}: {first}. Write it as .parquet "
            f"instead. {AGAIN}"
        ) from None
    return path


def _write(frame: pl.DataFrame, sink: BinaryIO | io.BytesIO, kind: str) -> None:
    if kind == "csv":
        frame.write_csv(sink)
    elif kind == "ndjson":
        frame.write_ndjson(sink)
    else:
        frame.write_parquet(sink)
