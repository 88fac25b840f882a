"""The results check and the record of cached results (see
:mod:`compliance_frames.client.integrity`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from compliance_frames import Client
from compliance_frames.client.integrity import (
    MAX_LINE,
    Cached,
    NotResults,
    ResultsShape,
    cached_state,
    record_path,
)
from tests.conftest import EmulatorFactory

once = pytest.mark.flow("bytepath")


def verdict(body: bytes, block: int) -> bool:
    """Whether ``body``, fed ``block`` bytes at a time, passes as results."""
    shape = ResultsShape()
    try:
        for start in range(0, len(body), block):
            shape.feed(body[start : start + block])
        shape.finish()
    except NotResults:
        return False
    return True


@once
@pytest.mark.parametrize(
    ("body", "results"),
    [
        (b"", True),
        (b"\n\r\n\n", True),
        (b'{"id":"1"}', True),  # no newline at the end
        (b'{"id":"1"}\r\n\r\n{"id":"2"}\r\n', True),
        (b'  {"id":"1"}  \n\t{"id":"2"}\t\n', True),  # padded
        (b"{}\n", True),
        (b'{"id":"1"}\n{"id":"2"', False),  # cut short
        (b'{"id":"1"}\n"id"}\n', False),
        (b"[]\n", False),
        (b"{\n", False),
        (b"}\n", False),
        (b"<html><body>Wi-Fi login</body></html>\n", False),
        (b'\xef\xbb\xbf{"id":"1"}\n', False),  # a byte-order mark: not what X sends
    ],
)
def test_results_are_told_apart_whatever_the_blocks(body: bytes, results: bool) -> None:
    assert {verdict(body, block) for block in (1, 3, 7, len(body) or 1)} == {results}


@once
def test_a_line_longer_than_any_record_is_refused_without_carrying_it_along() -> None:
    shape = ResultsShape()
    block = b"x" * (1 << 20)

    def feed_64_mib_without_a_newline() -> None:
        shape.feed(b"{")
        for _ in range(64):
            shape.feed(block)

    started = time.monotonic()
    with pytest.raises(NotResults, match="longer than"):
        feed_64_mib_without_a_newline()
    assert time.monotonic() - started < 2
    assert MAX_LINE < 64 << 20


def test_download_results_records_the_cached_file_only(
    make_emulator: EmulatorFactory, make_client, tmp_path: Path
) -> None:
    emulator = make_emulator(events={"20": "deleted"})
    client: Client = make_client(emulator)
    job = client.create_job("tweets")
    client.upload_ids(job, [20, 7])
    done = client.wait(job)
    cached = client.download_results(done)  # into the cache: recorded
    assert cached == client.results_path(done)
    assert json.loads(record_path(cached).read_text())["size"] == cached.stat().st_size
    assert cached_state(cached) is Cached.INTACT
    elsewhere = client.download_results(done, tmp_path / "mine" / "r.ndjson")
    assert sorted(path.name for path in elsewhere.parent.iterdir()) == ["r.ndjson"]  # no record
    assert elsewhere.read_bytes() == cached.read_bytes()
    cached.write_bytes(b"")
    assert cached_state(cached) is Cached.DAMAGED
    cached.unlink()
    assert cached_state(cached) is Cached.MISSING
