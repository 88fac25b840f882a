"""check, results, filter and user_col on every kind of frame, against the emulator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import compliance_frames
from compliance_frames import Client
from tests.frames.conftest import (
    AUTHORS,
    BACKENDS,
    DATA,
    EVENTS,
    FLAGS,
    INDEX,
    T_DELETED,
    T_MULTI,
    TWEET_EVENTS,
    TWEETS,
    USER_EVENTS,
    assert_unchanged,
    make_frame,
    materialise,
    rows,
    snapshot,
)

P = "compliance_"
FLAG_COLUMNS = [P + f for f in FLAGS]


def expected_tweet_rows() -> list[tuple[Any, ...]]:
    out = []
    for tweet in TWEETS:
        reason, flags = TWEET_EVENTS[tweet]
        out.append((tweet, reason, *(f in flags for f in FLAGS)))
    return out


def expected_combined_rows() -> list[tuple[Any, ...]]:
    out = []
    for tweet, author in zip(TWEETS, AUTHORS, strict=True):
        reason, flags = TWEET_EVENTS[tweet]
        user_reason = USER_EVENTS[author]
        combined = set(flags) | ({user_reason} if user_reason else set())
        out.append((tweet, reason, user_reason, *(f in combined for f in FLAGS)))
    return out


def assert_dtypes(result: Any, backend: str, columns: list[str], nullable: bool = False) -> None:
    reason, action, redacted = columns[:3]
    flags = columns[3:]
    if isinstance(result, (pl.DataFrame, pl.LazyFrame)):
        schema = result.collect_schema()
        assert schema[reason] == pl.Categorical
        assert schema[action] == pl.Categorical
        assert schema[redacted] == pl.Datetime("us", "UTC")
        assert all(schema[f] == pl.Boolean for f in flags)
        return
    dtypes = result.dtypes
    if backend == "pandas-pyarrow":
        assert pa.types.is_dictionary(dtypes[reason].pyarrow_dtype)
        assert dtypes[redacted] == pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
        assert all(dtypes[f] == pd.ArrowDtype(pa.bool_()) for f in flags)
    else:
        assert dtypes[reason] == "category"
        assert dtypes[action] == "category"
        assert str(dtypes[redacted]) == "datetime64[us, UTC]"
        assert all(dtypes[f] == ("boolean" if nullable else bool) for f in flags)


def test_check_flags_every_row(backend: str, client: Client, events_emulator: Any) -> None:
    frame = make_frame(backend)
    before = snapshot(frame)
    result = compliance_frames.check(
        frame, "tweet_id", type="tweets", client=client, progress=False
    )
    assert type(result) is type(frame)  # same kind: LazyFrame stays lazy, Dask stays Dask
    assert rows(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == expected_tweet_rows()
    table = materialise(result)
    assert list(table.columns) == [
        *DATA,
        P + "reason",
        P + "action",
        P + "redacted_at",
        *FLAG_COLUMNS,
    ]
    assert list(table["text"]) == DATA["text"]  # the order, and the other columns, as they were
    if backend in ("pandas", "pandas-pyarrow", "dask"):
        assert list(table.index) == INDEX
    actions = {a for a in table[P + "action"] if isinstance(a, str)}
    assert actions == {"delete"}
    redacted = dict(zip(table["tweet_id"], table[P + "redacted_at"], strict=True))
    assert redacted[T_MULTI] == pd.Timestamp("2022-01-01", tz="UTC")  # the deciding event's
    assert pd.isna(redacted[TWEETS[1]])  # no event, no time
    assert_dtypes(result, backend, [P + "reason", P + "action", P + "redacted_at", *FLAG_COLUMNS])
    assert_unchanged(frame, before)
    [job] = events_emulator.jobs
    assert job["n_ids"] == len(set(TWEETS))  # each distinct ID uploaded once


def test_check_with_user_col(backend: str, client: Client, events_emulator: Any) -> None:
    frame = make_frame(backend)
    before = snapshot(frame)
    result = (
        frame.compliance.check("tweet_id", user_col="author_id", client=client, progress=False)
        if backend in ("pandas", "pandas-pyarrow", "polars", "polars-lazy")
        else compliance_frames.check(
            frame, "tweet_id", user_col="author_id", client=client, progress=False
        )
    )
    assert (
        rows(result, ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS])
        == expected_combined_rows()
    )
    table = materialise(result)
    assert list(table.columns)[-3:] == [
        P + "user_reason",
        P + "user_action",
        P + "user_redacted_at",
    ]
    if backend in ("pandas", "pandas-pyarrow", "dask"):
        assert list(table.index) == INDEX
    assert_dtypes(
        result,
        backend,
        [P + "user_reason", P + "user_action", P + "user_redacted_at", *FLAG_COLUMNS],
    )
    assert_unchanged(frame, before)
    types = sorted((j["type"], j["n_ids"]) for j in events_emulator.jobs)
    assert types == [("tweets", len(set(TWEETS))), ("users", len(set(AUTHORS)))]


def test_results_are_typed(backend: str, client: Client) -> None:
    frame = make_frame(backend)
    events = compliance_frames.results(frame, "tweet_id", client=client, progress=False)
    table = materialise(events)
    assert sorted(zip(table["id"], table["reason"].astype(str), strict=True)) == sorted(
        [
            (T_DELETED, "deleted"),
            (TWEETS[2], "scrub_geo"),
            (T_MULTI, "scrub_geo"),
            (T_MULTI, "protected"),
            (TWEETS[5], "bounced"),
            (TWEETS[6], "suspended"),
            (TWEETS[7], "deactivated"),
        ]
    )
    if isinstance(events, (pl.DataFrame, pl.LazyFrame)):
        assert type(events) is type(frame)
        assert events.collect_schema() == pl.Schema(compliance_frames.frames.RESULTS_SCHEMA)
    else:
        assert str(table["created_at"].dtype).startswith(
            ("datetime64[us, UTC]", "timestamp[us, tz=UTC]")
        )


def test_filter_drops_and_scrubs(backend: str, client: Client) -> None:
    frame = make_frame(backend)
    before = snapshot(frame)
    cleaned, report = compliance_frames.filter(
        frame,
        "tweet_id",
        user_col="author_id",
        geo_columns=["lat", "lon"],
        client=client,
        progress=False,
        return_report=True,
    )
    assert type(cleaned) is type(frame)
    table = materialise(cleaned)
    assert list(table.columns) == list(DATA)  # the compliance columns are dropped
    # kept: tweets without removal events whose authors are fine either
    assert list(table["tweet_id"]) == [TWEETS[2], TWEETS[8]]
    assert [pd.isna(v) for v in table["lat"]] == [True, False]  # scrubbed geo emptied
    assert [pd.isna(v) for v in table["lon"]] == [True, False]
    if backend in ("pandas", "pandas-pyarrow", "dask"):
        assert list(table.index) == ["r2", "r8"]
    # "bounced" goes anyway (its author is deactivated): none goes for an unknown reason alone
    assert (report.rows_in, report.rows_out, report.unknown, report.scrubbed) == (9, 2, 0, 1)
    assert report.removed["deleted"] == 3  # two rows of a deleted tweet, one of a deleted author
    assert_unchanged(frame, before)


def test_filter_can_keep_flags_and_unknown_reasons(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = make_frame("polars")
    cleaned = frame.compliance.filter(
        "tweet_id", client=client, progress=False, keep_flags=True, keep_unknown=True
    )
    assert TWEETS[5] in cleaned["tweet_id"].to_list()  # "bounced" kept
    assert P + "reason" in cleaned.columns
    printed = capsys.readouterr().out
    assert "Kept 4 of 9 rows" in printed
    assert "pass geo_columns=[...]" in printed


def test_lazy_filter_does_not_print_unless_asked(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    make_frame("polars-lazy").compliance.filter("tweet_id", client=client, progress=False)
    assert capsys.readouterr().out == ""
    make_frame("polars-lazy").compliance.filter(
        "tweet_id", client=client, progress=False, report=True
    )
    assert "Kept" in capsys.readouterr().out


def test_the_result_shares_no_column_with_the_input_without_copy_on_write(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pandas 2 without copy-on-write lets an edit of a shallow copy reach its source:
    # there the result must hold columns of its own.
    from compliance_frames.frames import attach

    monkeypatch.setattr(attach, "_copy_on_write", lambda pd: False)
    frame = make_frame("pandas")
    flagged = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    assert not np.shares_memory(flagged["lat"].to_numpy(), frame["lat"].to_numpy())


def test_editing_the_result_leaves_the_input_alone(client: Client) -> None:
    frame = make_frame("pandas")
    before = snapshot(frame)
    flagged = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    flagged.loc[flagged.index[0], "lat"] = 99.0
    flagged.iloc[1, flagged.columns.get_loc("lon")] = 99.0
    assert_unchanged(frame, before)


def test_accessor_is_registered_and_stateless(client: Client) -> None:
    pdf = make_frame("pandas")
    assert pdf.compliance._frame is pdf
    assert (
        make_frame("polars").compliance.check("tweet_id", client=client, progress=False).height == 9
    )
    assert not hasattr(pdf.compliance, "__dict__") or set(vars(pdf.compliance)) == {"_frame"}


def test_duckdb_relations_are_checked(client: Client) -> None:
    import duckdb

    pdf = make_frame("pandas").reset_index(drop=True)  # noqa: F841 - read by duckdb by name
    relation = duckdb.sql("select * from pdf")
    result = compliance_frames.check(
        relation, "tweet_id", user_col="author_id", client=client, progress=False
    )
    table = result.pl().sort("text")  # a SQL engine keeps no row order
    assert (
        rows(table, ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS])
        == expected_combined_rows()
    )


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "dask"])  # no Dask accessor
def test_results_through_the_accessor(client: Client, backend: str) -> None:
    frame = make_frame(backend)
    events = materialise(frame.compliance.results("tweet_id", client=client, progress=False))
    assert sorted(
        zip(events["id"].astype(str), events["reason"].astype(str), strict=True)
    ) == sorted(
        (tweet, reason if isinstance(reason, str) else reason.get("reason", ""))
        for tweet, spec in EVENTS["tweets"].items()
        for reason in (spec if isinstance(spec, list) else [spec])
    )


def test_a_users_check_on_a_frame_of_accounts(client: Client, backend: str) -> None:
    accounts = make_frame(backend, {"user_id": [str(u) for u in USER_EVENTS]})
    flagged = compliance_frames.check(accounts, "user_id", "users", client=client, progress=False)
    assert rows(flagged, ["compliance_reason"]) == [(reason,) for reason in USER_EVENTS.values()]
    assert rows(flagged, ["compliance_suspended"]) == [
        (reason == "suspended",) for reason in USER_EVENTS.values()
    ]
