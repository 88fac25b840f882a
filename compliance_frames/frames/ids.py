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
from decimal import Decimal
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..client import IdSet
from ..errors import InputError, InvalidIDError
from ..hints import Argument, Choice, Hint, Spelled
from ..idlines import classify, fix_choices, kind_notes, user_stacklevel

MAX_ID = 10**19
TRIMMED = "__compliance_trimmed"
"""Beside the key of a lazy frame's rows: True where the ID had spaces or tabs around it."""
_EXAMPLES = 5
_BLANKS = " \t"
_BLANK_ENDS = r"^[ \t]+|[ \t]+$"


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


def key_expression(
    column: str, dtype: pl.DataType, shown: object = None, *, trim: bool = True
) -> pl.Expr:
    """A polars expression: the column as UInt64 IDs, null where not a valid ID.

    ``shown`` is the dtype as the user's frame names it, for error messages. With
    ``trim``, spaces and tabs around a text ID are ignored (the frame keeps them).
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
        if trim:
            text = text.str.strip_chars(_BLANKS)
        number = text.str.to_integer(dtype=pl.UInt64, strict=False)
        # Digits only: to_integer also takes a leading '+', which is not an ID.
        valid = (text.str.len_bytes() <= 19) & ~text.str.starts_with("+")
        return pl.when(valid).then(number)
    raise InvalidIDError(
        f"Column {column!r} has dtype {shown}, which cannot hold tweet or user IDs. IDs are "
        "whole numbers of up to 19 digits: store them as integers or strings.",
        count=0,
    )


def column_key(column: str, dtype: pl.DataType, listed: bool = False) -> pl.Expr:
    """:func:`key_expression` of a column, or with ``listed`` of each ID of a list column
    (a list of keys per row, null where an element is not an ID).

    Example:
        >>> frame = pl.DataFrame({"refs": [["5", "x"], [], None]})
        >>> frame.select(column_key("refs", frame.schema["refs"], listed=True)).rows()
        [([5, None],), ([],), (None,)]
    """
    if not listed:
        return key_expression(column, dtype)
    inner = dtype.inner  # type: ignore[attr-defined]
    key_expression(column, inner)  # refuses floats and other types, naming the column
    values = pl.col(column)
    if isinstance(dtype, pl.Array):
        values = values.cast(pl.List(inner))
    return values.list.eval(key_expression("", inner))  # (pl.element() is pl.col(""))


@dataclass(frozen=True)
class IdColumn:
    """A column of IDs that goes into a job: the row's own ID column, or (``ref``) a
    column of references, where a null means "none" rather than a value that is not an
    ID; ``listed``: a list of IDs per row."""

    name: str
    listed: bool = False
    ref: bool = False


def is_listed(frame: nw.DataFrame[Any] | nw.LazyFrame[Any], column: str) -> bool:
    """Whether a column holds a list of IDs per row: a list or array type, or a pandas
    object column whose first value is a list, tuple or array."""
    dtype = frame.collect_schema()[column]
    if isinstance(dtype, (nw.List, nw.Array)):
        return True
    if dtype != nw.Object or not isinstance(frame, nw.DataFrame):
        return False
    values = frame[column].drop_nulls()
    if not len(values):
        return False
    first = values[0]
    return isinstance(first, (list, tuple)) or type(first).__name__ == "ndarray"


def list_series(frame: nw.DataFrame[Any], column: str) -> pl.Series:
    """A list column of an eager frame as a polars List Series (a pandas object column of
    lists becomes lists of text, checked like any other text IDs)."""
    series = frame[column]
    if series.dtype != nw.Object:
        return series.to_polars().rename(column)
    rows = [
        None if _missing_as_none(row) is None else [_text(value) for value in row]
        for row in series.to_list()
    ]
    return pl.Series(column, rows, dtype=pl.List(pl.String))


KEY_DTYPE = nw.UInt64
"""The key of a row's ID in narwhals terms, for engines that have unsigned 64-bit integers."""
WIDE_KEY = nw.Decimal(20, 0)
"""The key in narwhals terms for engines without unsigned 64-bit integers (Spark, where
narwhals refuses ``UInt64``): every ID of up to 19 digits stays exact, and keys compare,
join and sort as numbers. (A signed ``Int64`` would not do: valid-looking IDs go up to
10**19 - 1, above 2**63 - 1, and X must be asked about them to refuse them.)"""


def polars_key(key: Any = KEY_DTYPE) -> pl.DataType:
    """The polars dtype of keys that become ``key`` (a narwhals dtype) in an engine."""
    return pl.Decimal(20, 0) if isinstance(key, nw.Decimal) else pl.UInt64()


def to_engine(frame: nw.LazyFrame[Any], table: pl.DataFrame) -> nw.LazyFrame[Any]:
    """A small polars table as a lazy frame of ``frame``'s engine (and Spark session)."""
    session = getattr(frame.to_native(), "sparkSession", None)
    return nw.from_native(table, eager_only=True).lazy(
        backend=frame.implementation, session=session
    )


def engine_keys(
    frame: nw.LazyFrame[Any], keys: pl.Series, name: str, key: Any = KEY_DTYPE
) -> nw.LazyFrame[Any]:
    """Keys (polars ``UInt64``) as a one-column table ``name`` of ``frame``'s engine, of
    the key dtype ``key``, to join against. (Not a list of literals: an engine's integer
    literals may stop at 2**63 - 1, as Ibis's and Spark's do, and a plan listing
    thousands of values is slow.)

    Example:
        >>> frame = nw.from_native(pl.LazyFrame({"id": ["1"]}))
        >>> keys = pl.Series([9999999999999999999, 7, 7], dtype=pl.UInt64)
        >>> sorted(engine_keys(frame, keys, "k").collect()["k"].to_list())
        [7, 9999999999999999999]
    """
    return to_engine(frame, keys.unique().cast(polars_key(key)).to_frame(name))


def key_literal(value: int, key: Any = KEY_DTYPE) -> Any:
    """A narwhals literal of one key, of the key dtype ``key`` (a decimal for wide keys:
    Spark's literals of integers stop at 2**63 - 1)."""
    return nw.lit(Decimal(value) if isinstance(key, nw.Decimal) else value, dtype=key)


def nw_key(column: str, dtype: Any, *, trim: bool = True, key: Any = KEY_DTYPE) -> Any:
    """:func:`key_expression` in narwhals terms, for engines other than polars; ``key`` is
    the dtype of the key: :data:`KEY_DTYPE`, or :data:`WIDE_KEY` where the engine has
    no unsigned 64-bit integers.

    Example:
        >>> frame = nw.from_native(pl.LazyFrame({"id": ["0042", "x", "9999999999999999999"]}))
        >>> frame.select(nw_key("id", nw.String(), key=WIDE_KEY)).collect()["id"].to_list()
        [Decimal('42'), None, Decimal('9999999999999999999')]
    """
    col = nw.col(column)
    if dtype.is_integer():
        if dtype.is_signed_integer():
            return nw.when(col >= 0).then(col.cast(key))
        return nw.when(col < key_literal(MAX_ID, key)).then(col.cast(key))
    text = col.cast(nw.String)
    if trim:
        # A pattern, not strip_chars: some engines (Ibis) strip only whitespace of any kind.
        text = text.str.replace_all(_BLANK_ENDS, "")
    # Only the digits are cast (the others are null first): a strict cast refuses the rest.
    return nw.when(text.str.contains(r"^[0-9]{1,19}$")).then(text).cast(key)


def nw_trimmed(column: str, dtype: Any, key: Any = KEY_DTYPE) -> Any:
    """Narwhals: True where the value is an ID only once the spaces or tabs around it are
    ignored (what :func:`nw_key` trims), False elsewhere.

    Example:
        >>> frame = nw.from_native(pl.LazyFrame({"id": [" 7", "8", " x", None]}))
        >>> frame.select(nw_trimmed("id", nw.String())).collect()["id"].to_list()
        [True, False, False, False]
    """
    if dtype.is_integer():
        return nw.lit(False).alias(column)
    untrimmed = nw_key(column, dtype, trim=False, key=key)
    return (
        (untrimmed.is_null() & ~nw_key(column, dtype, key=key).is_null())
        .fill_null(False)
        .alias(column)
    )


def to_polars_series(frame: nw.DataFrame[Any], column: str) -> pl.Series:
    """One column of an eager frame as a polars Series, exact for 64-bit values."""
    series = frame[column]
    if series.dtype == nw.Object:
        return _from_objects(series.to_list()).rename(column)
    return series.to_polars().rename(column)


def keys_of(
    frame: nw.DataFrame[Any], column: str, *, warn: bool = True, listed: bool = False
) -> pl.Series:
    """The key (UInt64, null where invalid) of every row of an eager frame's ID column.

    IDs with spaces or tabs around them get their key, with a warning (unless ``warn`` is
    False: the caller says it once for the whole frame, see :func:`trimmed_warning`).
    With ``listed``, each row's list of keys (the spaces ignored without a word).
    """
    if listed:
        values = list_series(frame, column)
        return values.to_frame().select(column_key(column, values.dtype, True)).to_series()
    keys, trimmed = trimmed_keys_of(frame, column)
    if warn and trimmed is not None:
        n_trimmed = int(trimmed.sum())
        warnings.warn(
            trimmed_warning(column, n_trimmed, trimmed.arg_true()[:_EXAMPLES].to_list()),
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    return keys


def trimmed_keys_of(frame: nw.DataFrame[Any], column: str) -> tuple[pl.Series, pl.Series | None]:
    """The keys of :func:`keys_of`, and which rows had spaces or tabs around their ID
    (None when none had: the usual case costs nothing more)."""
    source = to_polars_series(frame, column)
    if _all_in_range(source):  # the usual integer column: nothing to null out
        if source.dtype == pl.Int64 and not source.null_count():
            return source.reinterpret(signed=False), None  # non-negative: same bits, no copy
        keys: pl.Series = source.cast(pl.UInt64)
        return keys, None
    native_dtype = getattr(frame.to_native()[column], "dtype", source.dtype)
    keys = (
        source.to_frame()
        .select(key_expression(column, source.dtype, native_dtype, trim=False))
        .to_series()
    )
    if keys.null_count() > source.null_count() and source.dtype == pl.String:
        return _trimmed_keys(source, keys, column)
    return keys, None


def trimmed_warning(column: str, count: int, rows: list[int] | None = None) -> str:
    """The warning that ``count`` IDs of ``column`` had spaces or tabs around them (and
    were used without them), naming the first few ``rows`` where there are row numbers.

    Example:
        >>> trimmed_warning("id", 7, [0, 3])
        "Column 'id': 7 ID(s) had spaces or tabs around them, which were ignored (rows 0, 3, ...); the frame itself is unchanged."
    """  # noqa: E501
    where = ""
    if rows:
        more = ", ..." if count > len(rows) else ""
        where = f" (rows {', '.join(map(str, rows))}{more})"
    return (
        f"Column {column!r}: {count:,} ID(s) had spaces or tabs around them, which were "
        f"ignored{where}; the frame itself is unchanged."
    )


def _trimmed_keys(
    source: pl.Series, keys: pl.Series, column: str
) -> tuple[pl.Series, pl.Series | None]:
    """The keys, with those of IDs that have spaces or tabs around them filled in, and
    which rows those are: only the rows that are not IDs as they stand are looked at again."""
    stripped = source.str.strip_chars(_BLANKS)
    again = (
        stripped.to_frame(column)
        .select(key_expression(column, pl.String(), trim=False))
        .to_series()
    )
    fixed = keys.is_null() & again.is_not_null()
    if not fixed.any():
        return keys, None
    filled: pl.Series = keys.zip_with(~fixed, again)
    return filled, fixed


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
    return pl.Series([_text(value) for value in values], dtype=pl.String)


def _text(value: Any) -> str | None:
    """A value of a pandas object column as the text of an ID (a marker that fails
    validation for what is not one)."""
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
    if type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iu":
        return str(int(value)) if int(value) >= 0 else "!"
    return "!"


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


def column_keys(
    frame: nw.DataFrame[Any], column: IdColumn, *, errors: str, what: str = "tweet"
) -> pl.Series:
    """The keys a column of an eager frame holds (a list column's flattened), for the job;
    raise :class:`InvalidIDError` naming the rows unless skipping. In a reference column
    a null is no reference, not a value that is not an ID.

    Example:
        >>> frame = nw.from_native(pl.DataFrame({"refs": [["5", "x"], None]}))
        >>> column_keys(frame, IdColumn("refs", listed=True, ref=True), errors="skip").to_list()
        [5]
    """
    if not column.ref:
        return row_keys(frame, column.name, errors=errors, what=what).keys
    keys = keys_of(frame, column.name, listed=column.listed)
    values = (
        list_series(frame, column.name) if column.listed else to_polars_series(frame, column.name)
    )
    table = pl.DataFrame({"value": values, "key": keys}).with_row_index("row")
    if column.listed:
        table = table.explode(["value", "key"])
    bad = table.filter(pl.col("value").is_not_null() & pl.col("key").is_null())
    if bad.height and errors == "raise":
        rows = pl.Series(range(len(frame))).is_in(bad["row"].implode())
        shown, examples = _named_rows(frame, column.name, rows, int(rows.sum()))
        raise invalid_error(
            column.name,
            bad.height,
            f": {shown}",
            what,
            bad["value"].cast(pl.String),
            header=None,
            examples=examples,
        )
    return table["key"].drop_nulls()


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
    return invalid_error(
        column,
        n_invalid,
        f": {shown}",
        what,
        values.filter(bad),
        header=values[0] if first_bad else None,
        examples=examples,
    )


CLASSIFIED = 1_000
"""How many values that are not IDs are looked at to say what kind they are."""


def invalid_error(
    column: str,
    count: int,
    shown: str,
    what: str,
    values: pl.Series,
    *,
    header: object,
    examples: list[tuple[object, object]],
) -> InvalidIDError:
    """The error of a column whose ``count`` values are not IDs, eager or lazy: ``shown``
    names some of them, ``values`` (up to :data:`CLASSIFIED` of them) say what kind they
    are (floats' ``1.23E+18`` or ``.0``, a header read as data: ``header`` is the first
    row's value when that row is one of them, else None), and the hint what to do.

    Example:
        >>> values = pl.Series(["tweet_id", "1.23E+18"])
        >>> error = invalid_error("id", 2, ", such as 'tweet_id'", "tweet", values,
        ...                       header="tweet_id", examples=[])
        >>> print(error.problem)  # doctest: +ELLIPSIS
        Column 'id' has 2 value(s) ... such as 'tweet_id'. Of these, the first row ('tweet_id') ...
        >>> print(error.hint.render())  # doctest: +ELLIPSIS
        Drop the first row (a header read as data), or export or load the IDs again as text, ...
    """
    kinds = _kinds(values, header)
    notes = kind_notes(kinds, "" if header is None else str(header), unit="row")
    said = f" Of these, {'; '.join(notes)}." if notes else ""
    return InvalidIDError(
        f"Column {column!r} has {count} value(s) that are not {what} IDs (1-19 decimal "
        f"digits){shown}.{said}",
        count=count,
        examples=examples,
        hint=Hint(
            *fix_choices(kinds, column),
            Choice("fix or drop these rows"),
            Choice("pass ", Argument("errors", "skip"), " to keep them with null flags"),
        ),
    )


def _kinds(values: pl.Series, header: object) -> dict[str, int]:
    """How many values that are not IDs are of each kind (see :func:`classify`), the
    first :data:`CLASSIFIED` of them; "header" only for ``header``, the frame's first value
    (once: the same text further down is not a header)."""
    if values.dtype != pl.String:
        return {}
    counts: dict[str, int] = {}
    seen_header = header is None
    for text in values.drop_nulls().head(CLASSIFIED).to_list():
        first = not seen_header and text == header
        seen_header = seen_header or first
        kind = classify(text, first=first)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def refused_rows_error(
    frame: nw.DataFrame[Any],
    column: str,
    refused: pl.Series,
    what: str,
    answer: str,
    listed: bool = False,
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
    keys = keys_of(frame, column, warn=False, listed=listed)
    if listed:
        hit = pl.element().is_in(refused.implode())
        bad = keys.to_frame().select(pl.col(column).list.eval(hit).list.any()).to_series()
    else:
        bad = keys.is_in(refused.implode())
    bad = bad.fill_null(False)
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
    if isinstance(value, pl.Series) or (type(value).__name__ == "ndarray" and value.ndim):
        return value.to_list() if isinstance(value, pl.Series) else value.tolist()
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
