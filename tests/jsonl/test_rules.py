"""Issue 13, JSON lines: each of X's rules on a twarc2 collection, through the emulator.

One test per rule, on API v2 pages as ``twarc2 search`` writes them; then the shapes
(flattened, plain), edited posts, the report, what stays unchanged, and bad input.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from compliance_frames import Client, clean_jsonl
from compliance_frames.errors import InputError
from tests.cli.test_hostile_cli import limited
from tests.jsonl.conftest import (
    EVENTS,
    P_BY_SUSPENDED,
    P_DELETED,
    P_EDITED,
    P_GEO,
    P_GEO_OK,
    P_LONE_BY_PROTECTED,
    P_LONE_DELETED,
    P_OK,
    P_QUOTE_OF_PROTECTED,
    P_REPLY,
    P_RT_OF_DEACTIVATED,
    P_RT_OF_DELETED,
    PLACE_KEPT,
    PLACE_SCRUBBED,
    R_BY_DEACTIVATED,
    R_DELETED,
    R_PROTECTED,
    U_DEACTIVATED,
    U_OK,
    U_OK2,
    U_PROTECTED,
    U_SUSPENDED,
    flatten,
    page_one,
    page_two,
    post_ids,
    read_lines,
    write_lines,
)

pytestmark = pytest.mark.flow("bytepath")

KEPT = [P_OK, P_QUOTE_OF_PROTECTED, P_GEO, P_GEO_OK, P_EDITED, P_REPLY]


def cleaned(tmp_path: Path, client: Client, records: list[dict[str, Any]], **options: Any) -> Any:
    source = write_lines(tmp_path / "tweets.jsonl", records)
    report = clean_jsonl(source, tmp_path / "clean.jsonl", client=client, progress=False, **options)
    return read_lines(tmp_path / "clean.jsonl"), report


@pytest.fixture
def pages(tmp_path: Path, client: Client) -> tuple[list[dict[str, Any]], Any]:
    return cleaned(tmp_path, client, [page_one(), page_two()])


def test_posts_deleted_protected_suspended_or_deactivated_go(pages: Any) -> None:
    records, report = pages
    assert P_DELETED not in post_ids(records)
    assert P_LONE_DELETED not in post_ids(records)
    assert report.posts_removed == {"deleted": 1, "suspended": 1}


def test_every_post_of_a_removed_author_goes(pages: Any) -> None:
    records, report = pages
    assert P_BY_SUSPENDED not in post_ids(records)
    assert P_LONE_BY_PROTECTED not in post_ids(records)
    assert report.posts_removed_for_author == 2


def test_a_retweet_of_a_removed_post_goes_a_quote_stays(pages: Any) -> None:
    records, report = pages
    ids = post_ids(records)
    assert P_RT_OF_DELETED not in ids  # the original was deleted
    assert P_RT_OF_DEACTIVATED not in ids  # the original's author was deactivated
    assert P_QUOTE_OF_PROTECTED in ids  # the quote stays...
    assert report.retweets_removed == 2
    assert ids == KEPT


def test_stored_copies_of_removed_posts_leave_includes(pages: Any) -> None:
    records, report = pages
    stored = [t["id"] for t in records[0]["includes"]["tweets"]]
    # ...but the quoted post's stored copy goes, even though the quote stays
    assert R_PROTECTED not in stored
    assert R_DELETED not in stored
    assert R_BY_DEACTIVATED not in stored
    assert stored == []
    assert report.includes_tweets_removed == 3


def test_stored_profiles_of_removed_accounts_leave_includes(pages: Any) -> None:
    records, report = pages
    assert [u["id"] for u in records[0]["includes"]["users"]] == [U_OK, U_OK2]
    assert [u["id"] for u in records[1]["includes"]["users"]] == [U_OK]
    assert report.includes_users_removed == 4  # suspended, protected, deactivated; protected


def test_scrubbed_geo_is_emptied_and_its_place_dropped(pages: Any) -> None:
    records, report = pages
    by_id = {item["id"]: item for item in records[0]["data"]}
    assert "geo" not in by_id[P_GEO]
    assert by_id[P_GEO_OK]["geo"] == {"place_id": PLACE_KEPT}
    assert [p["id"] for p in records[0]["includes"]["places"]] == [PLACE_KEPT]
    assert PLACE_SCRUBBED not in json.dumps(records)
    assert "48.85" not in json.dumps(records)
    assert (report.geo_emptied, report.places_dropped) == (1, 1)


def test_a_page_whose_posts_all_went_keeps_its_line(pages: Any) -> None:
    records, report = pages
    assert len(records) == 2
    assert records[1]["data"] == []
    assert records[1]["meta"]["result_count"] == 0
    assert records[1]["__twarc"] == page_two()["__twarc"]
    assert records[0]["meta"]["result_count"] == len(KEPT)
    assert (report.lines_in, report.lines_out) == (2, 2)


def test_the_output_keeps_every_object_as_it_was_but_what_the_rules_take(pages: Any) -> None:
    records, _ = pages
    before = {item["id"]: item for item in page_one()["data"]}
    for item in records[0]["data"]:
        expected = dict(before[item["id"]])
        if item["id"] == P_GEO:
            del expected["geo"]
        assert item == expected
        assert list(item) == list(expected)  # keys in the same order
    assert list(records[0]) == list(page_one())
    assert list(records[0]["includes"]) == list(page_one()["includes"])


def test_edited_posts_are_kept_and_listed_or_dropped(tmp_path: Path, client: Client) -> None:
    kept, report = cleaned(tmp_path, client, [page_one()])
    assert P_EDITED in post_ids(kept)
    assert report.edited_ids == [P_EDITED]
    assert report.edited_dropped == 0
    dropped, report = cleaned(tmp_path, client, [page_one()], edited="drop")
    assert P_EDITED not in post_ids(dropped)
    assert report.edited_ids == [P_EDITED]
    assert report.edited_dropped == 1


def test_a_flattened_file_is_cleaned_as_its_pages_are(tmp_path: Path, client: Client) -> None:
    lines = flatten(page_one()) + flatten(page_two())
    records, report = cleaned(tmp_path, client, lines)
    assert [r["id"] for r in records] == KEPT
    # The same as flattening the cleaned pages: stored copies cut back, profiles emptied.
    pages, _ = cleaned(tmp_path, client, [page_one(), page_two()])
    assert records == flatten(pages[0]) + flatten(pages[1])
    by_id = {r["id"]: r for r in records}
    assert by_id[P_QUOTE_OF_PROTECTED]["referenced_tweets"] == [
        {"type": "quoted", "id": R_PROTECTED}
    ]
    assert by_id[P_REPLY]["in_reply_to_user"] == {}
    assert by_id[P_OK]["entities"]["mentions"] == [
        {"start": 6, "end": 16, "username": "suspended", "id": U_SUSPENDED}
    ]
    assert "geo" not in by_id[P_GEO]
    assert report.lines_by_shape == {"flattened": 12}
    assert report.posts_removed_for_author == 2
    assert report.retweets_removed == 2


def test_plain_post_lines(tmp_path: Path, client: Client) -> None:
    lines = page_one()["data"] + page_two()["data"]
    records, report = cleaned(tmp_path, client, lines)
    # Without stored copies, a retweet of a deleted post still goes (the original's ID
    # is checked); one whose original's author is unknown here stays.
    assert [r["id"] for r in records] == [*KEPT[:5], P_RT_OF_DEACTIVATED, P_REPLY]
    assert report.lines_by_shape == {"plain": 12}
    assert report.retweets_removed == 1


def test_the_three_shapes_mixed_in_one_file(tmp_path: Path, client: Client) -> None:
    lines = [
        page_one(),
        *flatten(page_two()),
        page_two()["data"][0],
        {"id": U_DEACTIVATED, "username": "d"},
    ]
    records, report = cleaned(tmp_path, client, lines)
    assert report.lines_by_shape == {"flattened": 2, "page": 1, "plain": 2}
    assert len(records) == 1
    assert report.accounts_removed == 1


def test_the_report_counts_and_ids(pages: Any) -> None:
    _, report = pages
    assert report.posts_checked == 15  # 12 in data, 3 stored
    assert report.accounts_checked == 5
    assert set(report.job_ids) == {"tweets", "users"}
    assert all(len(ids) == 1 for ids in report.job_ids.values())
    assert json.loads(report.to_json())["retweets_removed"] == 2
    text = str(report)
    assert "Posts removed: 2 (1 deleted, 1 suspended)" in text
    assert "1 posts were edited" in text


def test_the_receipt_names_every_removed_post_and_account_as_filter_does(
    tmp_path: Path, client: Client
) -> None:
    cleaned(tmp_path, client, [page_one(), page_two()], receipt=tmp_path / "receipt.jsonl")
    header, *lines = (tmp_path / "receipt.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert json.loads(header)["removed"] == len(rows)
    assert [(row["id"], row["type"], row["reason"], row["rule"]) for row in rows] == [
        (R_DELETED, "tweets", "deleted", "post"),
        (R_PROTECTED, "tweets", "protected", "post"),
        (P_DELETED, "tweets", "deleted", "post"),
        (P_LONE_DELETED, "tweets", "suspended", "post"),
        (U_SUSPENDED, "users", "suspended", "account"),
        (U_PROTECTED, "users", "protected", "account"),
        (U_DEACTIVATED, "users", "deactivated", "account"),
        # posts of the file that went for their author's sake (a stored copy too)...
        (R_BY_DEACTIVATED, "tweets", "author deactivated", "author"),
        (P_BY_SUSPENDED, "tweets", "author suspended", "author"),
        (P_LONE_BY_PROTECTED, "tweets", "author protected", "author"),
        # ...and for their original's
        (P_RT_OF_DELETED, "tweets", "retweeted post removed", "retweeted"),
        (P_RT_OF_DEACTIVATED, "tweets", "retweeted post removed", "retweeted"),
    ]
    assert all(datetime.fromisoformat(row["as_of"]).tzinfo for row in rows)  # X's answer


def test_unchanged_lines_are_written_byte_for_byte(tmp_path: Path, client: Client) -> None:
    source = tmp_path / "tweets.jsonl"
    untouched = json.dumps(
        {"data": [{"id": "1600000000000000001", "text": "é", "author_id": U_OK}]},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    blank = "  "
    source.write_bytes(
        (untouched + "\r\n" + blank + "\n" + json.dumps(page_two()) + "\r\n").encode()
    )
    clean_jsonl(source, tmp_path / "out.jsonl", client=client, progress=False)
    lines = (tmp_path / "out.jsonl").read_bytes().split(b"\n")
    assert lines[0] == (untouched + "\r").encode()
    assert lines[1] == blank.encode()
    assert lines[2].endswith(b"\r")
    assert json.loads(lines[2])["data"] == []


def test_nothing_to_change_copies_the_file(tmp_path: Path, client: Client) -> None:
    source = tmp_path / "tweets.jsonl"
    source.write_bytes(b'{"id": "1600000000000000001", "text": "x"}\n\n{"data": []}')
    report = clean_jsonl(source, tmp_path / "out.jsonl", client=client, progress=False)
    assert (tmp_path / "out.jsonl").read_bytes() == source.read_bytes()
    assert (report.lines_in, report.lines_out) == (3, 3)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"data": []}\n{"id": "1", "text": \n', "line 2 is not JSON"),
        (b'[{"id": "1"}]\n', "line 1 is a JSON array"),
        (b'{"data": []}\n\n{"text": "no id"}\n', "line 3 is a JSON object with neither"),
        (b'{"id": "1", "text": "caf\xe9"}\n', "line 1 is not UTF-8 text"),
        (b'{"data": [{"id": "12a", "text": "x"}]}\n', "data[0].id is '12a', not a 1-19 digit ID"),
        (b'{"data": 5}\n', "neither a list nor an object"),
    ],
)
def test_a_bad_line_is_named_before_any_job(tmp_path: Path, content: bytes, said: str) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_bytes(content)
    client = Client("token", "http://127.0.0.1:9", max_retries=0)  # never reached
    with pytest.raises(InputError) as caught:
        clean_jsonl(source, tmp_path / "out.jsonl", client=client, progress=False)
    assert said in caught.value.problem
    assert str(source) in caught.value.problem
    assert not (tmp_path / "out.jsonl").exists()


def test_the_source_is_never_the_destination(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "tweets.jsonl", [page_one()])
    with pytest.raises(InputError, match="the same file"):
        clean_jsonl(source, tmp_path / "." / "tweets.jsonl", progress=False)
    with pytest.raises(InputError, match="edited must be"):
        clean_jsonl(source, tmp_path / "out.jsonl", edited="maybe", progress=False)


def test_a_failed_run_leaves_no_half_file(tmp_path: Path, make_emulator: Any) -> None:
    """A disk that fills while the output is written (a file size limit on the process:
    the write fails with EFBIG, as it would with ENOSPC): the previous output stays whole
    and no part file is left."""
    emulator = make_emulator(events=EVENTS, processing_seconds=0)
    destination = tmp_path / "clean.jsonl"
    destination.write_text("the previous version\n")
    source = write_lines(tmp_path / "tweets.jsonl", [page_one(), page_two()] * 200)
    assert source.stat().st_size > 200_000  # the output is about as large
    run = limited(emulator, tmp_path, max_file_bytes=100_000)  # results and IDs fit
    result = run("clean-jsonl", str(source), str(destination), "--poll-interval", "0.05")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "File too large" in result.stderr, result.stderr
    assert "is left as it was before" in result.stderr
    assert "Traceback" not in result.stderr
    assert destination.read_text() == "the previous version\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
