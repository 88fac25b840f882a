"""ID columns: every accepted kind, every refused one, and 64-bit exactness."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import compliance_frames
from compliance_frames import Client, InputError, InvalidIDError
from tests.conftest import EmulatorFactory
from tests.frames.conftest import CONSTRUCTORS, Constructor, constructors, materialise, rows

P = "compliance_"
LAZY = [pytest.param(c, id=c.name) for c in CONSTRUCTORS if c.lazy]
NEAR_2_63 = [2**63 - 1, 2**63, 2**63 + 1, 9_999_999_999_999_999_999, 10**18]
DELETED = str(2**62)  # deleted on both flows
"""On the byte-path flow X answers IDs above 2**63-1 with invalid_id: the expectations of
those IDs depend on the flow."""


@pytest.fixture
def exact_client(make_emulator: EmulatorFactory, tmp_path: Any) -> Client:
    events = {
        str(2**63): "deleted",
        "9999999999999999999": "suspended",
        str(2**63 - 1): "protected",
        DELETED: "deleted",
    }
    emulator = make_emulator(events=events, rate_window=10.0)
    return Client(
        emulator.bearer_token,
        emulator.base_url,
        results_dir=tmp_path,
        poll_interval=0.05,
        max_poll_interval=0.5,
    )


def expected(values: list[int], flow: str) -> list[tuple[str | None, Any, Any, Any]]:
    """(reason, deleted, suspended, protected) per value; on bytepath, null flags for the
    IDs that X refuses (checked with errors='skip')."""
    reasons = {2**63: "deleted", 9_999_999_999_999_999_999: "suspended", 2**63 - 1: "protected"}
    return [
        (None, None, None, None)
        if flow == "bytepath" and v > 2**63 - 1
        else (
            reasons.get(v),
            reasons.get(v) == "deleted",
            reasons.get(v) == "suspended",
            reasons.get(v) == "protected",
        )
        for v in values
    ]


IDS_AS = {
    "pandas uint64": lambda: pd.DataFrame({"id": np.array(NEAR_2_63, dtype=np.uint64)}),
    "pandas str": lambda: pd.DataFrame({"id": [str(v) for v in NEAR_2_63]}),
    "pandas string[pyarrow]": lambda: pd.DataFrame(
        {"id": pd.array([str(v) for v in NEAR_2_63], dtype="string[pyarrow]")}
    ),
    "pandas uint64[pyarrow]": lambda: pd.DataFrame(
        {"id": pd.array(NEAR_2_63, dtype=pd.ArrowDtype(pa.uint64()))}
    ),
    "pandas category": lambda: pd.DataFrame({"id": pd.Categorical([str(v) for v in NEAR_2_63])}),
    "pandas object of ints": lambda: pd.DataFrame({"id": pd.Series(NEAR_2_63, dtype=object)}),
    "pandas object mixed": lambda: pd.DataFrame(
        {"id": pd.Series([str(v) if i % 2 else v for i, v in enumerate(NEAR_2_63)], dtype=object)}
    ),
    "polars UInt64": lambda: pl.DataFrame({"id": pl.Series(NEAR_2_63, dtype=pl.UInt64)}),
    "polars String": lambda: pl.DataFrame({"id": [str(v) for v in NEAR_2_63]}),
    "polars Categorical": lambda: pl.DataFrame(
        {"id": pl.Series([str(v) for v in NEAR_2_63], dtype=pl.Categorical)}
    ),
    "polars Enum": lambda: pl.DataFrame(
        {"id": pl.Series([str(v) for v in NEAR_2_63], dtype=pl.Enum([str(v) for v in NEAR_2_63]))}
    ),
    "polars Decimal": lambda: pl.DataFrame(
        {"id": pl.Series([Decimal(v) for v in NEAR_2_63], dtype=pl.Decimal(20, 0))}
    ),
    "polars lazy String": lambda: pl.LazyFrame({"id": [str(v) for v in NEAR_2_63]}),
}


@pytest.mark.flow("bytepath", "gcs")
@pytest.mark.parametrize("make", IDS_AS.values(), ids=IDS_AS.keys())
def test_64_bit_ids_round_trip_and_match(make: Any, exact_client: Client, flow: str) -> None:
    frame = make()
    errors = "skip" if flow == "bytepath" else "raise"  # bytepath: X refuses IDs > 2**63-1
    result = compliance_frames.check(
        frame, "id", client=exact_client, progress=False, errors=errors
    )
    assert rows(
        result, [P + "reason", P + "deleted", P + "suspended", P + "protected"]
    ) == expected(NEAR_2_63, flow)


@pytest.mark.flow("bytepath")
@pytest.mark.parametrize("make", IDS_AS.values(), ids=IDS_AS.keys())
def test_ids_that_x_refuses_are_named_exactly(make: Any, exact_client: Client) -> None:
    # Only the exact 64-bit values match X's invalid_id records: their rows, no other.
    with pytest.raises(InvalidIDError) as caught:
        materialise(compliance_frames.check(make(), "id", client=exact_client, progress=False))
    message = str(caught.value)
    assert message.startswith("X answered invalid_id for 3 value(s) of column 'id'")
    assert caught.value.count == 3
    shown = [str(value) for _, value in caught.value.examples]
    assert shown == [str(2**63), str(2**63 + 1), "9999999999999999999"]
    if not isinstance(make(), pl.LazyFrame):
        assert [position for position, _ in caught.value.examples] == [1, 2, 3]
        assert "row 1: " in message
        assert "row 0" not in message


def test_signed_int64_ids_near_the_top(exact_client: Client) -> None:
    values = [2**63 - 1, 10**18, 1]
    result = compliance_frames.check(
        pd.DataFrame({"id": values}), "id", client=exact_client, progress=False
    )
    assert rows(result, [P + "reason"]) == [("protected",), (None,), (None,)]


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"id": [1.0, 2.0]}),
        pl.DataFrame({"id": [1.0, 2.0]}),
        pl.LazyFrame({"id": [1.0]}),
        pd.DataFrame({"id": pd.array([1.0], dtype="Float64")}),
    ],
    ids=["pandas float64", "polars Float64", "polars lazy", "pandas Float64"],
)
def test_a_float_column_is_refused_with_how_to_load_ids(frame: Any, exact_client: Client) -> None:
    with pytest.raises(InvalidIDError, match=r"holds floats .* already lost digits") as caught:
        compliance_frames.check(frame, "id", client=exact_client, progress=False)
    assert "dtype={'id': str}" in str(caught.value)
    assert "schema_overrides={'id': pl.String}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


BAD = {
    "null": (["1", None, "3"], 1, "row 1: null"),
    "blank": (["1", "", " "], 2, "row 1: ''"),
    "non-digits": (["abc", "12a", "1e18"], 3, "row 0: 'abc'"),
    "negative string": (["-5", "5"], 1, "row 0: '-5'"),
    "20 digits": (["12345678901234567890"], 1, "row 0: '12345678901234567890'"),
    "plus sign": (["+5"], 1, "row 0: '+5'"),
    # IDs with spaces around them are trimmed (with a warning): tests/frames/test_id_hints.py
}


@pytest.mark.parametrize(("values", "count", "shown"), BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("constructor", constructors("pandas", "polars"))
def test_values_that_are_not_ids_raise_with_count_and_rows(
    values: list[Any], count: int, shown: str, constructor: Constructor, exact_client: Client
) -> None:
    frame = constructor({"id": values})
    with pytest.raises(InvalidIDError) as caught:
        compliance_frames.check(frame, "id", client=exact_client, progress=False)
    message = str(caught.value)
    assert f"has {count} value(s) that are not tweet IDs" in message
    assert shown in message
    assert "errors='skip'" in message
    assert caught.value.count == count


def test_negative_and_too_large_integers(exact_client: Client) -> None:
    with pytest.raises(InvalidIDError, match="row 1: -5"):
        compliance_frames.check(
            pd.DataFrame({"id": [1, -5]}), "id", client=exact_client, progress=False
        )
    too_big = pl.DataFrame({"id": pl.Series([1, 10**19], dtype=pl.UInt64)})
    with pytest.raises(InvalidIDError, match="row 1: 10000000000000000000"):
        compliance_frames.check(too_big, "id", client=exact_client, progress=False)


def test_bad_author_ids_raise_before_any_job_runs(
    make_emulator: EmulatorFactory, tmp_path: Any
) -> None:
    emulator = make_emulator()
    client = Client(emulator.bearer_token, emulator.base_url, results_dir=tmp_path)
    frame = pd.DataFrame({"id": ["1", "2"], "author": ["3", "me"]})
    with pytest.raises(InvalidIDError, match=r"1 value\(s\) that are not user IDs.*'me'"):
        compliance_frames.check(frame, "id", user_col="author", client=client, progress=False)
    assert emulator.request_log("api") == []  # and the tweet IDs' file is gone (conftest)


def test_rows_are_named_by_their_index_and_only_the_first_five_shown(exact_client: Client) -> None:
    frame = pd.DataFrame({"id": ["x"] * 7 + ["1"]}, index=[f"k{i}" for i in range(8)])
    with pytest.raises(InvalidIDError, match=r"row 0 \(index 'k0'\): 'x'.*and 2 more") as caught:
        compliance_frames.check(frame, "id", client=exact_client, progress=False)
    assert len(caught.value.examples) == 5


def test_errors_skip_flags_invalid_rows_with_nulls(
    make_emulator: EmulatorFactory, tmp_path: Any
) -> None:
    emulator = make_emulator(events={"20": "deleted"}, rate_window=10.0)
    client = Client(
        emulator.bearer_token,
        emulator.base_url,
        results_dir=tmp_path,
        poll_interval=0.05,
        max_poll_interval=0.5,
    )
    frame = pd.DataFrame({"id": ["20", "abc", None, "30", "20"]}, index=list("abcde"))
    result = compliance_frames.check(frame, "id", client=client, progress=False, errors="skip")
    assert rows(result, [P + "reason", P + "deleted", P + "protected"]) == [
        ("deleted", True, False),
        (None, None, None),
        (None, None, None),
        (None, False, False),
        ("deleted", True, False),
    ]
    assert result[P + "deleted"].dtype == "boolean"
    assert list(result.index) == list("abcde")
    assert emulator.jobs[0]["n_ids"] == 2
    polars_result = compliance_frames.check(
        pl.DataFrame({"id": ["20", "x"]}), "id", client=client, progress=False, errors="skip"
    )
    assert polars_result[P + "deleted"].to_list() == [True, None]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda f, c: compliance_frames.check(f, "tweetid", client=c),
            InputError,
            r"No column 'tweetid'.*'id'",
        ),
        (
            lambda f, c: compliance_frames.check(f, "id", "videos", client=c),
            InputError,
            "'tweets' or 'users'",
        ),
        (
            lambda f, c: compliance_frames.check(f, "id", errors="ignore", client=c),
            InputError,
            "'raise' or 'skip'",
        ),
        (
            lambda f, c: compliance_frames.check(f, "id", "users", user_col="id", client=c),
            InputError,
            "type='tweets'",
        ),
        (
            lambda f, c: compliance_frames.check([1, 2], "id", client=c),
            InputError,
            "Expected a dataframe",
        ),
        (
            lambda f, c: compliance_frames.check(f.assign(b=True), "b", client=c),
            InvalidIDError,
            r"Column .b. has dtype bool, which cannot hold",
        ),
        (
            lambda f, c: compliance_frames.filter(f, "id", geo_columns=["lat"], client=c),
            InputError,
            "No column 'lat'",
        ),
        (lambda f, c: compliance_frames.summary(f), InputError, "no compliance_\\* flag columns"),
    ],
    ids=[
        "missing column",
        "bad type",
        "bad errors",
        "user_col on users",
        "not a frame",
        "bool column",
        "missing geo column",
        "summary of an unchecked frame",
    ],
)
def test_bad_arguments_say_what_to_do(
    call: Any, error: type[Exception], match: str, exact_client: Client
) -> None:
    frame = pd.DataFrame({"id": ["1", "2"]})
    with pytest.raises(error, match=match):
        call(frame, exact_client)


def test_a_name_clash_needs_overwrite(exact_client: Client) -> None:
    frame = pd.DataFrame({"id": [DELETED], P + "deleted": ["mine"]})
    with pytest.raises(
        InputError, match=r"already has column\(s\) 'compliance_deleted'.*overwrite=True"
    ):
        compliance_frames.check(frame, "id", client=exact_client, progress=False)
    replaced = compliance_frames.check(
        frame, "id", client=exact_client, progress=False, overwrite=True
    )
    assert list(replaced[P + "deleted"]) == [True]
    assert list(frame[P + "deleted"]) == ["mine"]  # the input is untouched
    other = compliance_frames.check(frame, "id", client=exact_client, progress=False, prefix="x_")
    assert list(other[P + "deleted"]) == ["mine"]
    assert list(other["x_deleted"]) == [True]


def test_a_checked_frame_can_be_checked_again_with_overwrite(exact_client: Client) -> None:
    frame = pl.DataFrame({"id": [DELETED, "5"]})
    once = compliance_frames.check(frame, "id", client=exact_client, progress=False)
    twice = compliance_frames.check(once, "id", client=exact_client, progress=False, overwrite=True)
    assert twice.columns == once.columns
    assert materialise(twice).equals(materialise(once))


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(("values", "count", "shown"), BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("constructor", LAZY)
def test_lazy_frames_name_values_that_are_not_ids(
    values: list[Any], count: int, shown: str, constructor: Constructor, exact_client: Client
) -> None:
    with pytest.raises(InvalidIDError) as caught:
        materialise(
            compliance_frames.check(
                constructor({"id": values}), "id", client=exact_client, progress=False
            )
        )
    assert f"has {count} value(s) that are not tweet IDs" in str(caught.value)
    assert shown.split(": ", 1)[1] in str(caught.value)  # the first bad value
    assert caught.value.count == count


@pytest.mark.flow("bytepath", "gcs")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("constructor", LAZY)
def test_lazy_frames_skip_invalid_rows_and_keep_64_bit_ids_exact(
    constructor: Constructor, exact_client: Client, flow: str
) -> None:
    values = [2**63, 10**19, 9_999_999_999_999_999_999, 2**63 - 1]
    frame = constructor({"id": np.array(values, dtype=np.uint64)})
    result = compliance_frames.check(
        frame, "id", client=exact_client, progress=False, errors="skip"
    )
    refused = (None, None, None)  # bytepath: X answers IDs > 2**63-1 with invalid_id
    assert rows(result, [P + "reason", P + "protected", P + "deleted"]) == [
        ("deleted", False, True) if flow == "gcs" else refused,
        (None, None, None),  # 20 digits: not an ID, skipped
        ("suspended", False, False) if flow == "gcs" else refused,
        ("protected", True, False),
    ]
    signed = compliance_frames.check(
        constructor({"id": [20, -5]}), "id", client=exact_client, progress=False, errors="skip"
    )
    assert rows(signed, [P + "deleted"]) == [(False,), (None,)]


def test_a_lazy_check_can_overwrite_the_id_column_itself(exact_client: Client) -> None:
    # The ID column is named like an added column: overwrite replaces it, after keying.
    frame = pl.LazyFrame({"reason": [DELETED, "5"]})
    result = compliance_frames.check(
        frame, "reason", prefix="", overwrite=True, client=exact_client, progress=False
    )
    assert isinstance(result, pl.LazyFrame)
    assert result.collect()["deleted"].to_list() == [True, False]


def test_index_labels_are_shown_as_plain_values(exact_client: Client) -> None:
    frame = pd.DataFrame({"id": ["1", "x"]}, index=[10, 11])
    with pytest.raises(InvalidIDError, match=r"row 1 \(index 11\): 'x'"):
        compliance_frames.check(frame, "id", client=exact_client, progress=False)
