"""check, results, filter and user_col on every kind of frame, against the emulator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import compliance_frames
from compliance_frames import Client, InputError, InvalidIDError
from tests.frames.conftest import (
    AUTHORS,
    CONSTRUCTORS,
    DATA,
    EVENTS,
    FLAGS,
    INDEX,
    PANDAS,
    POLARS,
    POLARS_LAZY,
    T_DELETED,
    T_EDITED,
    T_GEO,
    T_GEO_NEW,
    T_MULTI,
    T_OK,
    TWEETS,
    USER_EVENTS,
    Constructor,
    N,
    assert_unchanged,
    constructors,
    expected_combined_rows,
    expected_tweet_rows,
    materialise,
    plain,
    rows,
    snapshot,
    tweet_events,
    tweet_results,
)

P = "compliance_"
FLAG_COLUMNS = [P + f for f in FLAGS]


def assert_dtypes(
    result: Any, constructor: Constructor, columns: list[str], nullable: bool = False
) -> None:
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
    if constructor.pyarrow_dtypes:
        assert pa.types.is_dictionary(dtypes[reason].pyarrow_dtype)
        assert dtypes[redacted] == pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
        assert all(dtypes[f] == pd.ArrowDtype(pa.bool_()) for f in flags)
    else:
        assert dtypes[reason] == "category"
        assert dtypes[action] == "category"
        assert str(dtypes[redacted]) == "datetime64[us, UTC]"
        assert all(dtypes[f] == ("boolean" if nullable else bool) for f in flags)


@pytest.mark.flow("bytepath", "gcs")
def test_check_flags_every_row(
    constructor: Constructor, client: Client, events_emulator: Any, flow: str
) -> None:
    frame = constructor()
    before = snapshot(frame)
    result = compliance_frames.check(
        frame, "tweet_id", type="tweets", client=client, progress=False
    )
    assert type(result) is type(frame)  # same kind: LazyFrame stays lazy, Dask stays Dask
    assert rows(result, ["tweet_id", P + "reason", *FLAG_COLUMNS]) == expected_tweet_rows(flow)
    table = materialise(result)
    assert list(table.columns) == [
        *DATA,
        P + "reason",
        P + "action",
        P + "redacted_at",
        *FLAG_COLUMNS,
        P + "remove",
        P + "checked_at",
    ]
    assert list(table["text"]) == DATA["text"]  # the order, and the other columns, as they were
    if constructor.indexed:
        assert list(table.index) == INDEX
    actions = dict(zip(table["tweet_id"], table[P + "action"], strict=True))
    assert {a for a in actions.values() if isinstance(a, str)} == (
        {"delete"} if flow == "gcs" else {"delete", "rehydrate", "scrub_geo"}
    )
    if flow == "bytepath":
        assert (actions[T_EDITED], actions[T_GEO_NEW]) == ("rehydrate", "scrub_geo")
    redacted = dict(zip(table["tweet_id"], table[P + "redacted_at"], strict=True))
    assert redacted[T_MULTI] == pd.Timestamp("2022-01-01", tz="UTC")  # the deciding event's
    assert not pd.isna(redacted[T_DELETED])  # bytepath: redacted_at, else its alias deleted_at
    assert pd.isna(redacted[TWEETS[1]])  # no event, no time
    assert_dtypes(
        result, constructor, [P + "reason", P + "action", P + "redacted_at", *FLAG_COLUMNS]
    )
    assert_unchanged(frame, before)
    [job] = events_emulator.jobs
    assert job["n_ids"] == len(set(TWEETS))  # each distinct ID uploaded once


@pytest.mark.flow("bytepath", "gcs")
def test_check_with_user_col(
    constructor: Constructor, client: Client, events_emulator: Any, flow: str
) -> None:
    frame = constructor()
    before = snapshot(frame)
    result = (
        frame.compliance.check("tweet_id", user_col="author_id", client=client, progress=False)
        if constructor.accessor
        else compliance_frames.check(
            frame, "tweet_id", user_col="author_id", client=client, progress=False
        )
    )
    assert rows(
        result, ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS]
    ) == expected_combined_rows(flow)
    table = materialise(result)
    assert list(table.columns)[-4:-1] == [
        P + "user_reason",
        P + "user_action",
        P + "user_redacted_at",
    ]
    if constructor.indexed:
        assert list(table.index) == INDEX
    assert_dtypes(
        result,
        constructor,
        [P + "user_reason", P + "user_action", P + "user_redacted_at", *FLAG_COLUMNS],
    )
    assert_unchanged(frame, before)
    types = sorted((j["type"], j["n_ids"]) for j in events_emulator.jobs)
    assert types == [("tweets", len(set(TWEETS))), ("users", len(set(AUTHORS)))]


@pytest.mark.flow("bytepath", "gcs")
def test_results_are_typed(constructor: Constructor, client: Client, flow: str) -> None:
    frame = constructor()
    events = compliance_frames.results(frame, "tweet_id", client=client, progress=False)
    table = materialise(events)
    assert sorted(zip(table["id"], table["reason"].astype(str), strict=True)) == sorted(
        tweet_results(flow)
    )
    assert table["error"].isna().all()  # no ID refused
    if flow == "gcs":
        assert (T_MULTI, "scrub_geo") in tweet_results(flow)  # two events of one ID
    else:
        assert len(set(table["id"])) == len(table)  # one event per ID
    if isinstance(events, (pl.DataFrame, pl.LazyFrame)):
        assert type(events) is type(frame)
        assert events.collect_schema() == pl.Schema(compliance_frames.frames.RESULTS_SCHEMA)
    else:
        assert str(table["created_at"].dtype).startswith(
            ("datetime64[us, UTC]", "timestamp[us, tz=UTC]")
        )


@pytest.mark.flow("bytepath", "gcs")
def test_filter_drops_and_scrubs(constructor: Constructor, client: Client) -> None:
    # The same on both flows: T_MULTI, protected, goes whether or not its geo was scrubbed.
    frame = constructor()
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
    # kept: tweets without removal events whose authors are fine either; edited ones too
    assert list(table["tweet_id"]) == [T_GEO, T_OK, T_EDITED, T_GEO_NEW]
    assert [pd.isna(v) for v in table["lat"]] == [True, False, False, True]  # geo emptied
    assert [pd.isna(v) for v in table["lon"]] == [True, False, False, True]  # both spellings
    if constructor.indexed:
        assert list(table.index) == ["r2", "r8", "r9", "r10"]
    # "bounced" goes anyway (its author is deactivated): none goes for an unknown reason alone
    assert (report.rows_in, report.rows_out, report.unknown, report.scrubbed) == (N, 4, 0, 2)
    assert report.removed["deleted"] == 3  # two rows of a deleted tweet, one of a deleted author
    assert (report.edited, report.removed["edited"]) == (1, 0)
    assert "1 kept posts were edited: fetch them again" in str(report)
    assert "edited='drop'" in str(report)
    assert_unchanged(frame, before)


@pytest.mark.parametrize("constructor", constructors("pandas", "polars-lazy", "dask"))
def test_filter_can_drop_edited_posts(constructor: Constructor, client: Client) -> None:
    frame = constructor()
    cleaned, report = compliance_frames.filter(
        frame, "tweet_id", client=client, progress=False, edited="drop", return_report=True
    )
    kept = list(materialise(cleaned)["tweet_id"])
    assert T_EDITED not in kept
    assert T_GEO_NEW in kept
    assert (report.edited, report.removed["edited"]) == (0, 1)
    assert "1 edited" in str(report)
    assert "kept posts were edited" not in str(report)


def test_filter_refuses_an_unknown_edited_choice(client: Client, events_emulator: Any) -> None:
    with pytest.raises(InputError, match=r"edited must be 'keep' .* or 'drop' .*not 'remove'"):
        POLARS().compliance.filter("tweet_id", client=client, progress=False, edited="remove")
    assert events_emulator.jobs == []  # refused before any job


def test_filter_can_keep_flags_and_unknown_reasons(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = POLARS()
    cleaned = frame.compliance.filter(
        "tweet_id", client=client, progress=False, keep_flags=True, keep_unknown=True
    )
    assert TWEETS[5] in cleaned["tweet_id"].to_list()  # "bounced" kept
    assert P + "reason" in cleaned.columns
    printed = capsys.readouterr().out
    assert f"Kept 6 of {N} rows" in printed
    assert "pass geo_columns=[...]" in printed
    assert "1 kept posts were edited" in printed


def test_lazy_filter_does_not_print_unless_asked(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    POLARS_LAZY().compliance.filter("tweet_id", client=client, progress=False)
    assert capsys.readouterr().out == ""
    POLARS_LAZY().compliance.filter("tweet_id", client=client, progress=False, report=True)
    assert "Kept" in capsys.readouterr().out


def test_the_result_shares_no_column_with_the_input_without_copy_on_write(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pandas 2 without copy-on-write lets an edit of a shallow copy reach its source:
    # there the result must hold columns of its own.
    from compliance_frames.frames import attach

    monkeypatch.setattr(attach, "_copy_on_write", lambda pd: False)
    frame = PANDAS()
    flagged = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    assert not np.shares_memory(flagged["lat"].to_numpy(), frame["lat"].to_numpy())


def test_editing_the_result_leaves_the_input_alone(client: Client) -> None:
    frame = PANDAS()
    before = snapshot(frame)
    flagged = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    flagged.loc[flagged.index[0], "lat"] = 99.0
    flagged.iloc[1, flagged.columns.get_loc("lon")] = 99.0
    assert_unchanged(frame, before)


def test_accessor_is_registered_and_stateless(client: Client) -> None:
    pdf = PANDAS()
    assert pdf.compliance._frame is pdf
    assert POLARS().compliance.check("tweet_id", client=client, progress=False).height == N
    assert not hasattr(pdf.compliance, "__dict__") or set(vars(pdf.compliance)) == {"_frame"}


@pytest.mark.flow("bytepath", "gcs")
def test_duckdb_relations_are_checked(client: Client, flow: str) -> None:
    import duckdb

    pdf = PANDAS().reset_index(drop=True)  # noqa: F841 - read by duckdb by name
    relation = duckdb.sql("select * from pdf")
    result = compliance_frames.check(
        relation, "tweet_id", user_col="author_id", client=client, progress=False
    )
    number = pl.col("text").str.extract(r"(\d+)").cast(pl.Int32)
    table = result.pl().sort(number)  # a SQL engine keeps no row order
    assert rows(
        table, ["tweet_id", P + "reason", P + "user_reason", *FLAG_COLUMNS]
    ) == expected_combined_rows(flow)


@pytest.mark.flow("bytepath", "gcs")
@pytest.mark.parametrize("constructor", [c for c in CONSTRUCTORS if c.accessor], ids=str)
def test_results_through_the_accessor(client: Client, constructor: Constructor, flow: str) -> None:
    frame = constructor()
    events = materialise(frame.compliance.results("tweet_id", client=client, progress=False))
    assert sorted(
        zip(events["id"].astype(str), events["reason"].astype(str), strict=True)
    ) == sorted(tweet_results(flow))


def test_a_users_check_on_a_frame_of_accounts(client: Client, constructor: Constructor) -> None:
    accounts = constructor({"user_id": [str(u) for u in USER_EVENTS]})
    flagged = compliance_frames.check(accounts, "user_id", "users", client=client, progress=False)
    assert rows(flagged, ["compliance_reason"]) == [(reason,) for reason in USER_EVENTS.values()]
    assert rows(flagged, ["compliance_suspended"]) == [
        (reason == "suspended",) for reason in USER_EVENTS.values()
    ]


@pytest.mark.flow("bytepath")
@pytest.mark.parametrize("constructor", constructors("pandas", "polars-lazy"))
def test_an_id_x_answers_invalid_is_named_and_a_rerun_needs_no_new_job(
    constructor: Constructor, make_emulator: Any, tmp_path: Any
) -> None:
    events = {"tweets": {**EVENTS["tweets"], T_OK: "invalid_id"}, "users": EVENTS["users"]}
    emulator = make_emulator(events=events, rate_window=10.0)
    client = Client(
        emulator.bearer_token,
        emulator.base_url,
        results_dir=tmp_path / "cache",
        poll_interval=0.05,
        max_poll_interval=0.5,
    )
    frame = constructor()
    with pytest.raises(InvalidIDError, match="X answered invalid_id for 2 value") as caught:
        materialise(compliance_frames.check(frame, "tweet_id", client=client, progress=False))
    if constructor.indexed and not constructor.lazy:
        assert f"row 1 (index 'r1'): '{T_OK}'; row 8 (index 'r8')" in str(caught.value)
    assert "cached on disk" in str(caught.value)
    flagged = compliance_frames.check(
        frame, "tweet_id", client=client, progress=False, errors="skip"
    )
    table = materialise(flagged)
    assert [pd.isna(v) for v in table[P + "deleted"]] == [t == T_OK for t in TWEETS]
    assert rows(flagged, [P + "edited"])[TWEETS.index(T_EDITED)] == (True,)
    cleaned, report = compliance_frames.filter(
        frame, "tweet_id", client=client, progress=False, errors="skip", return_report=True
    )
    assert report.unchecked == 2
    assert list(materialise(cleaned)["tweet_id"]).count(T_OK) == 2  # kept, unverified
    assert len(emulator.jobs) == 1  # the reruns used the cached results
    # The fix: drop the refused rows. The results answer for every other ID: no new job.
    keep = [i for i, tweet in enumerate(TWEETS) if tweet != T_OK]
    data = {name: [values[i] for i in keep] for name, values in DATA.items()}
    fixed = compliance_frames.check(
        constructor(data, [INDEX[i] for i in keep]), "tweet_id", client=client,
        progress=False,
    )  # fmt: skip
    assert len(emulator.jobs) == 1
    reasons = [plain(value) for (value,) in rows(fixed, [P + "reason"])]
    assert reasons == [tweet_events("bytepath")[TWEETS[i]][0] for i in keep]
