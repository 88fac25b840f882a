"""The resumable upload protocol's decisions, without a server or a file."""

from __future__ import annotations

import pytest

from compliance_frames.client.resumable import (
    CHUNK,
    Outcome,
    ResumableUpload,
    outcome,
    probe_offset,
    session_uri,
    stored_bytes,
)


def test_an_upload_goes_chunk_by_chunk_as_the_server_says() -> None:
    upload = ResumableUpload(size=2 * CHUNK + 10, chunk_size=CHUNK)
    sent = []
    answers = iter([(308, f"bytes=0-{CHUNK - 1}"), (308, f"bytes=0-{2 * CHUNK - 1}"), (200, "")])
    while not upload.finished:
        chunk = upload.next_chunk()
        sent.append(chunk.content_range)
        status, stored = next(answers)
        upload.process(status, {"Range": stored} if stored else {})
    total = 2 * CHUNK + 10
    assert sent == [
        f"bytes 0-{CHUNK - 1}/{total}",
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{total}",
        f"bytes {2 * CHUNK}-{total - 1}/{total}",
    ]


def test_a_308_that_stored_less_resends_from_there() -> None:
    upload = ResumableUpload(size=3 * CHUNK, chunk_size=2 * CHUNK)
    assert upload.process(308, {"Range": "bytes=0-99"}) is Outcome.PROGRESS
    assert upload.next_chunk().content_range == f"bytes 100-{2 * CHUNK + 99}/{3 * CHUNK}"
    assert upload.process(308, {}) is Outcome.PROGRESS  # nothing stored: from the start
    assert upload.offset == 0


def test_every_byte_sent_but_not_confirmed_asks_with_an_empty_request() -> None:
    upload = ResumableUpload(size=10, chunk_size=CHUNK)
    upload.process(308, {"Range": "bytes=0-9"})
    chunk = upload.next_chunk()
    assert (chunk.start, chunk.end, chunk.content_range) == (10, 10, "bytes */10")
    assert upload.process(201, {}) is Outcome.DONE
    assert upload.finished
    with pytest.raises(ValueError, match="nothing more"):
        upload.next_chunk()


@pytest.mark.parametrize(
    ("status", "meant"),
    [
        (200, Outcome.DONE),
        (201, Outcome.DONE),
        (308, Outcome.PROGRESS),
        (301, Outcome.REDIRECT),
        (307, Outcome.REDIRECT),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (504, Outcome.RETRY),
        (400, Outcome.REFUSED),
        (404, Outcome.REFUSED),
        (410, Outcome.REFUSED),
    ],
)
def test_what_an_answer_means(status: int, meant: Outcome) -> None:
    assert outcome(status) is meant


def test_an_answer_that_is_not_progress_leaves_the_offset_alone() -> None:
    upload = ResumableUpload(size=10 * CHUNK, offset=CHUNK)
    for status in (302, 429, 503, 403):
        upload.process(status, {"Range": "bytes=0-5"})
        assert upload.offset == CHUNK


@pytest.mark.parametrize(
    ("header", "stored"),
    [("bytes=0-0", 1), ("bytes=0-262143", CHUNK), ("", 0), ("bytes=10-20", 0), ("junk", 0)],
)
def test_reading_a_308_range(header: str, stored: int) -> None:
    assert stored_bytes(header) == stored


def test_a_probe_says_where_to_go_on_or_that_the_session_is_gone() -> None:
    assert probe_offset(308, {"Range": "bytes=0-41"}, 100) == 42
    assert probe_offset(200, {}, 100) == 101
    assert probe_offset(404, {}, 100) is None
    upload = ResumableUpload(size=100, offset=7)
    assert not upload.resume(410, {})
    assert upload.offset == 7
    assert upload.resume(308, {"Range": "bytes=0-49"})
    assert upload.offset == 50


def test_a_session_is_opened_only_by_a_success_with_a_location() -> None:
    assert session_uri(201, {"Location": "https://s/u?id=1"}) == "https://s/u?id=1"
    assert session_uri(200, {}) is None
    assert session_uri(302, {"Location": "https://elsewhere"}) is None


@pytest.mark.parametrize("chunk_size", [0, 1000, CHUNK + 1])
def test_chunks_are_multiples_of_256_kib(chunk_size: int) -> None:
    with pytest.raises(ValueError, match="multiple of 256 KiB"):
        ResumableUpload(size=1, chunk_size=chunk_size)
