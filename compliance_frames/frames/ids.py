"""ID columns: normalised to 64-bit keys, validated, handed to the lifecycle as a file.

Every kind of ID column becomes a polars ``UInt64`` key that is null where the value
is not a 1-19 digit ID: integers (signed or not), strings, categoricals, pyarrow
types, decimals, and pandas object columns of ints and strings. Floats are refused:
they have lost digits above 2**53.

Example:
    >>> keys = pl.Series(["1265324480517361664", "007", "abc", None])
    >>> keys.to_frame("id").select(key_expression("id", pl.String())).to_series().to_list()
    [1265324480517361664, 7, None, None]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..client import IdSet
from ..errors import InputError, InvalidIDError
from ..hints import Argument, Choice, Hint, Spelled
from ..idlines import classify, fix_choices, kind_notes, user_stacklevel

MAX_ID = 10**19
_EXAMPLES = 5


def float_error(column: str, dtype: object) -> InvalidIDError:
    """The refusal of a float column, with how to load IDs properly (in Python: the
    reader's argument; on the command line: how to save the column as text).

    Example:
        >>> from compliance_frames.hints import CLI_EMPTY
        >>> error = float_error("id", "float64")
        >>> "dtype={'id': str}" in str(error), "read_csv" in error.render(CLI_EMPTY)
        (True, False)
    """
    return InvalidIDError(
        f"Column {column!r} holds floats ({dtype}). Floats keep only 15-16 significant digits "
        "and IDs have up to 19, so these IDs have already lost digits and cannot be matched.",
        count=0,
        hint=Hint(
            Choice(
                Spelled(
                    python="load the column as text or integers instead, e.g. "
                    f"pd.read_csv(path, dtype={{{column!r}: str}}) or "
                    f"pl.read_csv(path, schema_overrides={{{column!r}: pl.String}})",
                    cli=f"save the column {column!r} as text (in a spreadsheet, format it as "
                    "Text before saving; in a program, write the IDs as strings or integers) "
                    "and run the command again",
                )
            )
        ),
    )


def key_expression(column: str, dtype: pl.DataType, shown: object = None) -> pl.Expr:
    """A polars expression: the column as UInt64 IDs, null where not a valid ID.

    ``shown`` is the dtype as the user's frame names it, for error messages.
    """
    col = pl.col(column)
    shown = dtype if shown is None else shown
    if dtype.is_float():
        raise float_error(column, shown)
    if dtype.is_integer():
        if dtype.is_signed_integer():
            return pl.when(col >= 0).then(col.cast(pl.UInt64))
        return pl.when(col < pl.lit(MAX_ID, dtype=pl.UInt64)).then(col.cast(pl.UInt64))
    if isinstance(dtype, (pl.String, pl.Categorical, pl.Enum, pl.Decimal, pl.Null)):
        text = col.cast(pl.String)
        number = text.str.to_integer(dtype=pl.UInt64, strict=False)
        # Digits only: to_integer also takes a leading '+', which is not an ID.
        valid = (text.str.len_bytes() <= 19) & ~text.str.starts_with("+")
        return pl.when(valid).then(number)
    raise InvalidIDError(
        f"Column {column!r} has dtype {shown}, which cannot hold tweet or user IDs. IDs are "
        "whole numbers of up to 19 digits: store them as integers or strings.",
        count=0,
    )


def nw_key(column: str, dtype: Any) -> Any:
    """:func:`key_expression` in narwhals terms, for engines other than polars."""
    col = nw.col(column)
    if dtype.is_integer():
        if dtype.is_signed_integer():
            return nw.when(col >= 0).then(col.cast(nw.UInt64))
        return nw.when(col < nw.lit(MAX_ID, dtype=nw.UInt64)).then(col.cast(nw.UInt64))
    text = col.cast(nw.String)
    return nw.when(text.str.contains(r"^[0-9]{1,19}$")).then(text.cast(nw.UInt64))


def to_polars_series(frame: nw.DataFrame[Any], column: str) -> pl.Series:
    """One column of an eager frame as a polars Series, exact for 64-bit values."""
    series = frame[column]
    if series.dtype == nw.Object:
        return _from_objects(series.to_list()).rename(column)
    return series.to_polars().rename(column)


def keys_of(frame: nw.DataFrame[Any], column: str) -> pl.Series:
    """The key (UInt64, null where invalid) of every row of an eager frame's ID column."""
    source = to_polars_series(frame, column)
    if _all_in_range(source):  # the usual integer column: nothing to null out
        if source.dtype == pl.Int64 and not source.null_count():
            return source.reinterpret(signed=False)  # non-negative: the same bits, no copy
        keys: pl.Series = source.cast(pl.UInt64)
        return keys
    native_dtype = getattr(frame.to_native()[column], "dtype", source.dtype)
    keys = source.to_frame().select(key_expression(column, source.dtype, native_dtype)).to_series()
    if keys.null_count() > source.null_count() and source.dtype == pl.String:
        keys = _trimmed_keys(source, keys, column)
    return keys


def _trimmed_keys(source: pl.Series, keys: pl.Series, column: str) -> pl.Series:
    """The keys, with those of IDs that have spaces or tabs around them filled in (with a
    warning): only the rows that are not IDs as they stand are looked at again."""
    stripped = source.str.strip_chars(" \t")
    again = stripped.to_frame(column).select(key_expression(column, pl.String())).to_series()
    fixed = keys.is_null() & again.is_not_null()
    n_fixed = int(fixed.sum())
    if not n_fixed:
        return keys
    rows = fixed.arg_true()[:_EXAMPLES].to_list()
    more = ", ..." if n_fixed > len(rows) else ""
    warnings.warn(
        f"Column {column!r}: {n_fixed:,} ID(s) had spaces or tabs around them, which were "
        f"ignored (rows {', '.join(map(str, rows))}{more}); the frame itself is unchanged.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    filled: pl.Series = keys.zip_with(~fixed, again)
    return filled


def _all_in_range(source: pl.Series) -> bool:
    """An integer column whose every value is a valid ID (nulls aside)."""
    dtype = source.dtype
    if not dtype.is_integer() or source.null_count() == source.len():
        return False
    if dtype.is_signed_integer():
        return bool(source.min() >= 0)  # type: ignore[operator]
    return bool(source.max() < MAX_ID)  # type: ignore[operator]


def _from_objects(values: list[Any]) -> pl.Series:
    """A pandas object column (ints, strings, None, anything) as strings; odd values become
    a marker that fails validation."""

    def text(value: Any) -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        if isinstance(value, bool):
            return "!"  # booleans are not IDs
        if isinstance(value, float):
            return repr(value)  # never an ID, but says what it is (1.2653244805174405e+18)
        if isinstance(value, int):
            return str(value) if value >= 0 else "!"
        if isinstance(value, str):
            return value
        if (
            type(value).__module__ == "numpy"
            and hasattr(value, "dtype")
            and value.dtype.kind in "iu"
        ):
            return str(int(value)) if int(value) >= 0 else "!"
        return "!"

    return pl.Series([text(value) for value in values], dtype=pl.String)


@dataclass
class RowKeys:
    """The keys of a frame's ID column, row by row, and what was invalid."""

    keys: pl.Series
    n_invalid: int


def row_keys(frame: nw.DataFrame[Any], column: str, *, errors: str, what: str = "tweet") -> RowKeys:
    """Keys for every row of an eager frame; raise :class:`InvalidIDError` unless skipping."""
    require_columns(frame.columns, [column])
    keys = keys_of(frame, column)
    n_invalid = keys.null_count()
    if n_invalid and errors == "raise":
        raise invalid_rows_error(frame, column, keys, n_invalid, what)
    return RowKeys(keys, n_invalid)


def invalid_rows_error(
    frame: nw.DataFrame[Any], column: str, keys: pl.Series, n_invalid: int, what: str
) -> InvalidIDError:
    """Which rows hold values that are not IDs (their positions, index labels and values),
    and what kind of values they are when it says where the digits went (floats'
    ``1.23E+18`` or ``.0``, a header row read as data)."""
    bad = keys.is_null()
    shown, examples = _named_rows(frame, column, bad, n_invalid)
    values = to_polars_series(frame, column)
    first_bad = bool(values.len()) and bool(bad[0]) and values[0] is not None
    kinds = _kinds(values.filter(bad), header=first_bad)
    notes = kind_notes(kinds, str(values[0]) if first_bad else "", unit="row")
    said = f" Of these, {'; '.join(notes)}." if notes else ""
    return InvalidIDError(
        f"Column {column!r} has {n_invalid} value(s) that are not {what} IDs (1-19 decimal "
        f"digits): {shown}.{said}",
        count=n_invalid,
        examples=examples,
        hint=Hint(
            *fix_choices(kinds, column),
            Choice("fix or drop these rows"),
            Choice("pass ", Argument("errors", "skip"), " to keep them with null flags"),
        ),
    )


def _kinds(values: pl.Series, header: bool) -> dict[str, int]:
    """How many values that are not IDs are of each kind (see :func:`classify`), the
    first 1,000 of them; "header" only for a column name as the very first value."""
    if values.dtype != pl.String:
        return {}
    counts: dict[str, int] = {}
    for index, text in enumerate(values.drop_nulls().head(1_000).to_list()):
        kind = classify(text, first=header and index == 0)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def refused_rows_error(
    frame: nw.DataFrame[Any], column: str, refused: pl.Series, what: str, answer: str
) -> InvalidIDError:
    """Which rows hold IDs that X refused (``refused``: their keys), named like
    :func:`invalid_rows_error` names values that are not IDs.

    Example:
        >>> frame = nw.from_native(pl.DataFrame({"id": ["5", "9999999999999999999"]}))
        >>> refused = pl.Series([9999999999999999999], dtype=pl.UInt64)
        >>> print(refused_rows_error(frame, "id", refused, "tweet", "invalid_id"))
        ... # doctest: +ELLIPSIS
        X answered invalid_id for 1 value(s) of column 'id': row 1: '9999999999999999999'. ...
    """
    bad = keys_of(frame, column).is_in(refused.implode()).fill_null(False)
    count = int(bad.sum())
    shown, examples = _named_rows(frame, column, bad, count)
    return InvalidIDError(
        refused_message(column, count, shown, what, answer),
        count=count,
        examples=examples,
        hint=REFUSED_HINT,
    )


def refused_message(column: str, count: int, shown: str, what: str, answer: str) -> str:
    """The message of IDs that X refused, with the rows (or values) ``shown`` (what to do
    is :data:`REFUSED_HINT`)."""
    return (
        f"X answered {answer} for {count} value(s) of column {column!r}: {shown}. X does not "
        f"take them as {what} IDs. The job's results stay cached on disk and answer for "
        "every other ID, so neither choice below runs a new job (corrected IDs are new IDs: "
        "they need one)."
    )


REFUSED_HINT = Hint(
    Choice("drop these rows and check again"),
    Choice("check again with ", Argument("errors", "skip"), " to keep them with null flags"),
)
"""What to do about IDs that X refused."""


def _named_rows(
    frame: nw.DataFrame[Any], column: str, bad: pl.Series, count: int
) -> tuple[str, list[tuple[object, object]]]:
    """The first few rows where ``bad`` holds, as text (position, index label, value) and
    as (position, value) examples."""
    positions = bad.arg_true()[:_EXAMPLES].to_list()
    values = frame[column]
    index = nw.maybe_get_index(frame)
    examples: list[tuple[object, object]] = []
    shown = []
    for position in positions:
        value = _missing_as_none(values[position])
        label = (
            f" (index {_missing_as_none(index[position])!r})"
            if index is not None and not _is_range(index)
            else ""
        )
        examples.append((position, value))
        shown.append(f"row {position}{label}: {'null' if value is None else repr(value)}")
    more = f" and {count - len(positions)} more" if count > len(positions) else ""
    return "; ".join(shown) + more, examples


def _missing_as_none(value: Any) -> Any:
    """The value as plain Python, None for every kind of missing (None, NaN, pd.NA, NaT)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    try:
        return None if value is None or value != value else value
    except (TypeError, ValueError):  # pd.NA refuses comparison
        return None


def _is_range(index: Any) -> bool:
    return type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1


def require_columns(columns: list[str], wanted: list[str]) -> None:
    """Raise :class:`InputError` naming any missing column and the ones there are."""
    missing = [name for name in wanted if name not in columns]
    if missing:
        shown = ", ".join(repr(c) for c in columns[:20]) + (", ..." if len(columns) > 20 else "")
        raise InputError(f"No column {missing[0]!r} in the frame; its columns are {shown}.")


def id_set(keys: pl.Series) -> IdSet:
    """The distinct valid keys, sorted, as the canonical file the lifecycle uploads: the
    same routine as every other entry point (:meth:`IdSet.from_values`)."""
    return IdSet.from_values(keys.drop_nulls().to_numpy())


def check_errors_argument(errors: str) -> None:
    """``errors`` is 'raise' or 'skip'."""
    if errors not in ("raise", "skip"):
        raise InputError(f"errors must be 'raise' or 'skip', not {errors!r}.")
