"""Reading and writing the datasets of ``compliance-frames check``: CSV, Parquet, NDJSON.

ID columns of text files are read as strings, so that no ID becomes a float on the way.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError
from ..files import atomic_write

FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}


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
        raise InputError(
            f"Cannot read {path} as {kind.upper()}: {first}. Check that the file is complete "
            "and that its suffix names its format."
        ) from None


def write_table(frame: pl.DataFrame, path: Path) -> Path:
    """Write ``frame`` in the format of ``path``'s suffix, atomically."""
    kind = format_of(path)
    with atomic_write(path) as sink:
        if kind == "csv":
            frame.write_csv(sink)
        elif kind == "ndjson":
            frame.write_ndjson(sink)
        else:
            frame.write_parquet(sink)
    return path
