"""read_results: a fixed schema whatever the file looks like."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import narwhals.stable.v2 as nw
import polars as pl
import pytest

from compliance_frames import ComplianceError, read_results
from compliance_frames.frames import FLAGS, KNOWN_REASONS, PRECEDENCE, RESULTS_SCHEMA, per_id
from compliance_frames.frames.attach import unknown_reason
from compliance_frames.frames.events import refused

DOC_LINES = (
    b'{"id":"1265324480517361664","action":"delete","created_at":"2019-10-29T17:02:47.000Z","redacted_at":"2020-07-29T17:02:47.000Z","reason":"deleted"}\n'
    b'{"id":"906972198136631298","action":"delete","created_at":"2017-09-10T20:06:37.421Z","redacted_at":"2020-07-21T23:37:55.607Z","reason":"deleted"}\n'
    b'{"id":"1234567","action":"delete","created_at":"2013-03-26T02:46:15+00:00","reason":"protected"}\n'
)


def test_the_documented_examples() -> None:
    frame = read_results(DOC_LINES)
    assert frame.schema == pl.Schema(RESULTS_SCHEMA)
    assert frame["id"].to_list() == ["1265324480517361664", "906972198136631298", "1234567"]
    assert frame["created_at"].to_list()[1] == datetime(
        2017, 9, 10, 20, 6, 37, 421000, tzinfo=timezone.utc
    )
    assert frame["created_at"].to_list()[2] == datetime(2013, 3, 26, 2, 46, 15, tzinfo=timezone.utc)
    assert frame["redacted_at"].to_list()[2] is None
    assert frame["reason"].cast(pl.String).to_list() == ["deleted", "deleted", "protected"]


def test_blank_lines_crlf_and_no_final_newline() -> None:
    messy = DOC_LINES.replace(b"\n", b"\r\n\r\n").rstrip(b"\r\n")
    assert read_results(messy).equals(read_results(DOC_LINES))


def test_extra_fields_are_ignored_and_unknown_reasons_kept() -> None:
    frame = read_results(
        b'{"id":"5","action":"delete","created_at":"2020-01-01T00:00:00.000Z","reason":"bounced","source":"x"}\n'
    )
    assert frame.columns == list(RESULTS_SCHEMA)
    assert frame["reason"].cast(pl.String).to_list() == ["bounced"]


def test_numeric_ids_are_read_exactly() -> None:
    frame = read_results(
        b'{"id":18446744073709551615,"reason":"deleted","created_at":"2020-01-01T00:00:00.000Z"}\n'
    )
    assert frame["id"].to_list() == ["18446744073709551615"]


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (DOC_LINES + b'{"id": "7", \n', 4, "is not valid JSON"),
        (b"\n\n" + DOC_LINES[:150] + b"\n" + DOC_LINES, 4, "is not valid JSON"),  # line 3 is whole
        (b'{"id":"1","reason":"deleted"}\n[1,2]\n', 2, "is not a JSON object"),
        (b'{"id":"1","reason":"deleted"}\n{"reason":"deleted"}\n', 2, "has no 'id'"),
    ],
)
def test_a_malformed_line_is_named(content: bytes, line: int, problem: str) -> None:
    with pytest.raises(ComplianceError, match=f"line {line} {problem}"):
        read_results(content)


def test_empty_files_give_an_empty_frame_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(b"")
    for source in (b"", b"\n\r\n", path, [path, path]):
        frame = read_results(source)
        assert frame.height == 0
        assert frame.schema == pl.Schema(RESULTS_SCHEMA)
    assert per_id(read_results(b"")).height == 0


def test_several_files_are_read_together(tmp_path: Path) -> None:
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    cut = DOC_LINES.index(b"\n") + 1
    first.write_bytes(DOC_LINES[:cut])
    second.write_bytes(DOC_LINES[cut:])
    assert read_results([first, second]).equals(read_results(DOC_LINES))


def test_several_events_for_one_id_resolve_by_precedence() -> None:
    events = read_results(
        b'{"id":"9","action":"delete","created_at":"2020-01-01T00:00:00.000Z","redacted_at":"2021-01-01T00:00:00.000Z","reason":"scrub_geo"}\n'
        b'{"id":"9","action":"delete","created_at":"2020-01-01T00:00:00.000Z","redacted_at":"2022-01-01T00:00:00.000Z","reason":"protected"}\n'
        b'{"id":"9","action":"delete","created_at":"2020-01-01T00:00:00.000Z","redacted_at":"2023-01-01T00:00:00.000Z","reason":"protected"}\n'
        b'{"id":"8","action":"delete","created_at":"2020-01-01T00:00:00.000Z","reason":"bounced"}\n'
        b'{"id":"8","action":"delete","created_at":"2020-01-01T00:00:00.000Z","reason":"scrub_geo"}\n'
    )
    table = per_id(events).sort("key")
    assert table["key"].to_list() == [8, 9]
    assert table["reason"].cast(pl.String).to_list() == ["bounced", "protected"]
    assert table["redacted_at"].to_list()[1] == datetime(
        2023, 1, 1, tzinfo=timezone.utc
    )  # the latest
    assert table["protected"].to_list() == [False, True]
    assert table["scrub_geo"].to_list() == [True, True]


# -- the results format of September 2026 -------------------------------------------------

NEW_LINES = (
    b'{"id":"1265324480517361664","action":"delete","created_at":"2019-10-29T17:02:47.000Z","redacted_at":null,"deleted_at":"2020-07-29T17:02:47.000Z","reason":"deleted"}\n'
    b'{"id":"1265324480517361665","action":"rehydrate","created_at":"2019-10-29T17:02:47.000Z","redacted_at":"2021-01-01T00:00:00.000Z","reason":"tweet_edited"}\n'
    b'{"id":"906972198136631298","action":"scrub_geo","created_at":"2017-09-10T20:06:37.421Z","redacted_at":"2020-07-21T23:37:55.607Z","reason":"geo_scrubbed"}\n'
    b'{"id":"9999999999999999999","error":"invalid_id"}\n'
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[arg-type,misc]


def test_the_new_format_is_read_with_its_error_records() -> None:
    frame = read_results(NEW_LINES)
    assert frame.schema == pl.Schema(RESULTS_SCHEMA)
    assert frame.columns == ["id", "action", "created_at", "redacted_at", "reason", "error"]
    assert frame["action"].cast(pl.String).to_list() == ["delete", "rehydrate", "scrub_geo", None]
    assert frame["reason"].cast(pl.String).to_list() == [  # X's words, as sent
        "deleted",
        "tweet_edited",
        "geo_scrubbed",
        None,
    ]
    assert frame["redacted_at"].to_list() == [
        utc(2020, 7, 29, 17, 2, 47),  # from deleted_at: redacted_at is null
        utc(2021, 1, 1),
        utc(2020, 7, 21, 23, 37, 55, 607000),
        None,
    ]
    assert frame["error"].to_list() == [None, None, None, "invalid_id"]
    assert frame.row(3, named=True)["id"] == "9999999999999999999"  # kept, not lost


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            b'"redacted_at":"2021-01-01T00:00:00.000Z","deleted_at":"2020-01-01T00:00:00.000Z"',
            utc(2021, 1, 1),
        ),  # redacted_at first
        (b'"redacted_at":null,"deleted_at":"2020-01-01T00:00:00.000Z"', utc(2020, 1, 1)),
        (b'"deleted_at":"2020-01-01T00:00:00+00:00"', utc(2020, 1, 1)),  # redacted_at absent
        (b'"redacted_at":null', None),
        (b'"redacted_at":null,"deleted_at":null', None),
        (b'"created_at":"2020-01-01T00:00:00.000Z"', None),
    ],
    ids=["both", "null and deleted_at", "absent and deleted_at", "null", "both null", "none"],
)
def test_redacted_at_falls_back_on_deleted_at(fields: bytes, expected: datetime | None) -> None:
    frame = read_results(b'{"id":"5","action":"delete",' + fields + b',"reason":"deleted"}\n')
    assert frame["redacted_at"].to_list() == [expected]
    assert "deleted_at" not in frame.columns


def test_old_files_have_an_empty_error_column() -> None:
    frame = read_results(DOC_LINES)
    assert frame["error"].to_list() == [None, None, None]
    assert frame.columns[-1] == "error"


def test_one_event_per_id_sets_the_flags_of_both_generations() -> None:
    events = read_results(
        NEW_LINES
        + b'{"id":"1","action":"delete","reason":"scrub_geo"}\n'  # older spelling
        + b'{"id":"2","action":"delete","reason":"tweet_edited"}\n'  # edited, older action
        + b'{"id":"3","action":"rehydrate","reason":"something_new"}\n'  # known by the action
        + b'{"id":"4","action":"scrub_geo","reason":"something_else"}\n'
        + b'{"id":"5","action":"delete","reason":"bounced"}\n'  # unknown: no flag
    )
    table = per_id(events).sort("key")
    flags = {
        key: {name for name in FLAGS if row[name]}
        for key, row in zip(table["key"], table.iter_rows(named=True), strict=True)
    }
    assert flags == {
        1: {"scrub_geo"},
        2: {"edited"},
        3: {"edited"},
        4: {"scrub_geo"},
        5: set(),
        906972198136631298: {"scrub_geo"},
        1265324480517361664: {"deleted"},
        1265324480517361665: {"edited"},
    }  # and the invalid_id record is no event
    assert table.columns == ["key", "reason", "action", "redacted_at", *FLAGS]
    assert table.filter(pl.col("key") == 1265324480517361665)["reason"].cast(pl.String).item() == (
        "tweet_edited"
    )


def test_error_records_are_refused_ids_not_events() -> None:
    events = read_results(
        b'{"id":"9999999999999999999","error":"invalid_id"}\n'
        b'{"id":"12 ","error":"invalid_id"}\n'  # names no decimal ID: no row to name
        b'{"id":"9223372036854775808","error":"invalid_id"}\n'
        b'{"id":"9223372036854775808","error":"invalid_id"}\n'
    )
    assert per_id(events).height == 0
    assert refused(events).rows() == [
        (9223372036854775808, "invalid_id"),
        (9999999999999999999, "invalid_id"),
    ]
    assert refused(read_results(DOC_LINES)).height == 0
    assert refused(read_results(b"")).schema == pl.Schema({"key": pl.UInt64, "error": pl.String})


def test_several_events_rank_edits_after_unknown_reasons_and_before_geo() -> None:
    line = b'{"id":"%d","action":"%s","reason":"%s"}\n'
    events = read_results(
        line % (1, b"scrub_geo", b"geo_scrubbed")
        + line % (1, b"rehydrate", b"tweet_edited")
        + line % (2, b"rehydrate", b"tweet_edited")
        + line % (2, b"delete", b"bounced")
        + line % (3, b"delete", b"protected")
        + line % (3, b"rehydrate", b"tweet_edited")
        + line % (4, b"delete", b"scrub_geo")
        + line % (4, b"scrub_geo", b"geo_scrubbed")
    )
    table = per_id(events).sort("key")
    assert table["reason"].cast(pl.String).to_list() == [
        "tweet_edited",
        "bounced",
        "protected",
        "scrub_geo",  # the two spellings rank alike: the first stays
    ]
    assert table["edited"].to_list() == [True, True, True, False]
    assert table["scrub_geo"].to_list() == [True, False, False, True]
    assert PRECEDENCE["geo_scrubbed"] == PRECEDENCE["scrub_geo"] > PRECEDENCE["tweet_edited"]


def test_the_flag_rule_knows_every_reason_of_both_generations() -> None:
    assert FLAGS == ("deleted", "suspended", "protected", "scrub_geo", "deactivated", "edited")
    assert set(KNOWN_REASONS) == {
        "deleted",
        "suspended",
        "protected",
        "deactivated",
        "scrub_geo",
        "geo_scrubbed",
        "tweet_edited",
    }
    frame = pl.DataFrame({"reason": ["tweet_edited", "geo_scrubbed", "scrub_geo", "bounced", None]})
    unknown = nw.from_native(frame).select(unknown_reason("reason")).to_native().to_series()
    assert unknown.to_list() == [False, False, False, True, False]
