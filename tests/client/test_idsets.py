"""ID sets: validation, canonical files, names that do not depend on order or source."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from compliance_frames import IdSet, InvalidIDError


def test_same_ids_same_name_whatever_the_source(tmp_path: Path) -> None:
    ids = [1265324480517361664, 906972198136631298, 20]
    path = tmp_path / "ids.txt"
    path.write_bytes(b"20\r\n\n906972198136631298\n1265324480517361664\n20")
    sets = [
        IdSet.from_ids(ids),
        IdSet.from_ids([str(i) for i in reversed(ids)] + ["20"]),
        IdSet.from_ids(np.array(ids, dtype=np.uint64)),
        IdSet.from_file(path),
        IdSet.from_file(io.BytesIO(path.read_bytes())),
    ]
    assert {s.digest for s in sets} == {sets[0].digest}
    assert {s.job_name("tweets") for s in sets} == {sets[0].job_name("tweets")}
    assert sets[0].path.read_bytes() == b"20\n906972198136631298\n1265324480517361664\n"
    assert sets[0].count == 3
    assert sets[0].job_name("users") != sets[0].job_name("tweets")
    assert len(sets[0].job_name("tweets")) <= 64
    for s in sets:
        s.discard()
        assert not s.path.exists()


def test_adopting_a_canonical_file(tmp_path: Path, temporary) -> None:
    made = temporary(IdSet.from_ids([3, 1, 2]))
    path = tmp_path / "canonical.txt"
    path.write_bytes(made.path.read_bytes())
    adopted = IdSet.from_canonical(path, temporary=False)
    assert (adopted.count, adopted.digest) == (3, made.digest)
    adopted.discard()
    assert path.exists()


def test_near_2_63_and_19_digits_are_exact(temporary) -> None:
    big = [2**63 - 1, 2**63, 9_999_999_999_999_999_999, 10**18]
    made = temporary(IdSet.from_ids([str(v) for v in big]))
    assert [int(v) for v in made.path.read_text().split()] == sorted(big)


@pytest.mark.parametrize(
    ("values", "count", "first"),
    [
        ([1, "abc", 2, -5, "12345678901234567890"], 3, ("abc", 1)),
        ([1.5, 2], 1, (1.5, 0)),
        ([True, 3], 1, (True, 0)),
        (["", " 7", "7 "], 1, ("", 0)),  # spaces are trimmed, not refused
        ([10**19], 1, (10**19, 0)),
    ],
)
def test_invalid_ids_are_refused_with_positions(
    values: list[object], count: int, first: tuple[object, int]
) -> None:
    with pytest.raises(InvalidIDError) as caught:
        IdSet.from_ids(values)
    assert caught.value.count == count
    assert caught.value.examples[0] == (first[1], first[0])
    assert "never floats" in str(caught.value)


def test_invalid_lines_of_a_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("1\n2\nthree\n4\n1e18\n")
    with pytest.raises(InvalidIDError, match="'three' at line 3") as caught:
        IdSet.from_file(path)
    assert caught.value.count == 2


def test_negative_numpy_ids_are_refused() -> None:
    with pytest.raises(InvalidIDError, match="-3"):
        IdSet.from_ids(np.array([1, -3], dtype=np.int64))


def test_split_into_parts_keeps_every_id_once() -> None:
    whole = IdSet.from_ids(range(1, 10_001))
    parts = whole.split(3_000)
    assert [p.count for p in parts] == [3000, 3000, 3000, 1000]
    assert [p.part for p in parts] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert b"".join(p.read_bytes() for p in parts) == whole.path.read_bytes()
    assert {p.path for p in parts} == {whole.path}  # byte ranges of the file, not copies
    assert [p.offset for p in parts] == [0, *(sum(q.size for q in parts[:i]) for i in (1, 2, 3))]
    assert parts[0].job_name("tweets").endswith("-p1of4")
    assert len({p.job_name("tweets") for p in parts}) == 4
    assert whole.split(10_000) == [whole]
    for p in [whole, *parts]:
        p.discard()


@pytest.mark.parametrize("block", [5, 6, 64, 1 << 22])
@pytest.mark.parametrize("max_ids", [1, 7, 100, 999, 1_000])
def test_split_cuts_at_any_block_boundary(
    monkeypatch: pytest.MonkeyPatch, block: int, max_ids: int
) -> None:
    # Parts are copied block by block; a part's end can fall anywhere in a block.
    from compliance_frames.client import idsets

    monkeypatch.setattr(idsets, "_SPLIT_BLOCK", block)
    values = [10**k + j for k in range(19) for j in range(100)] * 2
    whole = IdSet.from_ids(values)  # lines of 1 to 19 digits
    parts = whole.split(max_ids)
    try:
        expected = -(-whole.count // max_ids)
        assert [p.part for p in parts] == [(i, expected) for i in range(1, expected + 1)]
        assert all(p.count == max_ids for p in parts[:-1])
        assert 0 < parts[-1].count <= max_ids
        assert [p.read_bytes().count(b"\n") for p in parts] == [p.count for p in parts]
        assert b"".join(p.read_bytes() for p in parts) == whole.path.read_bytes()
    finally:
        for p in {*parts, whole}:
            p.discard()


def test_a_file_that_fails_to_be_written_is_removed() -> None:
    made: list[Path] = []

    def write_then_fail() -> None:
        with IdSet.new_file() as path:
            made.append(path)
            path.write_bytes(b"1\n")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_then_fail()
    assert len(made) == 1
    assert not made[0].exists()
