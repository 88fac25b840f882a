"""read_results: a fixed schema whatever the file looks like."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from compliance_frames import ComplianceError, read_results
from compliance_frames.frames import RESULTS_SCHEMA, per_id

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
