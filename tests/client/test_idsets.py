"""ID sets: validation, canonical files, names that do not depend on order or source."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

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


# -- one vectorised path: the same canonical file from every kind of input --------------------


def test_format_ids_writes_every_length_exactly() -> None:
    from compliance_frames.idlines import format_ids

    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            rng.integers(0, 2**64 - 1, 2_000, dtype=np.uint64, endpoint=True),
            np.array([0, 1, 9, 10, 9999, 10_000, 10**8, 10**16, 2**64 - 1], dtype=np.uint64),
            (10 ** rng.integers(0, 20, 500).astype(np.uint64)) - np.uint64(1),
        ]
    )
    expected = "".join(f"{v}\n" for v in values.tolist()).encode()
    assert format_ids(values) == expected  # any order: the masked path
    ordered = np.sort(values)
    assert format_ids(ordered) == "".join(f"{v}\n" for v in ordered.tolist()).encode()
    assert format_ids(np.empty(0, np.uint64)) == b""


def test_sorted_unique_agrees_with_numpy() -> None:
    from compliance_frames.idlines import sorted_unique

    rng = np.random.default_rng(6)
    values = rng.integers(0, 1_000, 5_000, dtype=np.uint64)
    assert sorted_unique(values).tolist() == np.unique(values).tolist()
    assert sorted_unique(np.array([], dtype=np.uint64)).size == 0
    assert sorted_unique(np.array([7], dtype=np.uint64)).tolist() == [7]


def test_the_scan_reads_what_format_ids_writes(tmp_path: Path) -> None:
    from compliance_frames.idlines import format_ids, scan_ids

    rng = np.random.default_rng(8)
    values = rng.integers(0, 10**19, 50_000, dtype=np.uint64)
    values[:4] = [0, 5, 10**18, 10**19 - 1]
    data = format_ids(values)
    for chunk_size in (7, 1000, 1 << 24):
        got = np.concatenate(list(scan_ids(io.BytesIO(data), chunk_size=chunk_size)))
        assert got.tolist() == values.tolist()


@pytest.mark.parametrize(
    "source",
    ["ints", "big ints", "numpy ints", "strings", "bytes", "generator", "mixed", "file"],
)
def test_every_input_gives_the_same_set(source: str, tmp_path: Path, temporary) -> None:
    values = [10**19 - 1, 20, 10**18, 20, 2**63, 7]
    expected = temporary(IdSet.from_values(np.array(values, dtype=np.uint64)))
    path = tmp_path / "ids.txt"
    path.write_text("".join(f"{v}\n" for v in values))
    given: Any = {
        "ints": [v for v in values if v < 2**63],
        "big ints": values,
        "numpy ints": [np.uint64(v) for v in values],
        "strings": [str(v) for v in values],
        "bytes": [str(v).encode() for v in values],
        "generator": (str(v) for v in values),
        "mixed": [v if i % 2 else str(v) for i, v in enumerate(values)],
        "file": path,
    }[source]
    made = temporary(IdSet.coerce(given))
    if source == "ints":
        assert made.count == 3  # 20 twice
        return
    assert (made.read_bytes(), made.count, made.digest) == (
        expected.read_bytes(),
        expected.count,
        expected.digest,
    )


@pytest.mark.parametrize(
    ("values", "first"),
    [
        (["1", "2\n3"], (1, "2\n3")),  # a line break inside a value does not make two IDs
        (["1", "7\r"], (1, "7\r")),
        (["1", ""], (1, "")),  # the last value too
        ([""], (0, "")),
        (["1", "١٢"], (1, "١٢")),  # digits, but not ASCII ones
        ([5, -1], (1, -1)),
        ([5, 2**64], (1, 2**64)),
        ([np.int64(-3)], (0, -3)),
    ],
)
def test_odd_values_are_refused_at_their_position(values: list[Any], first: tuple) -> None:
    with pytest.raises(InvalidIDError) as caught:
        IdSet.from_ids(values)
    assert caught.value.count == 1
    assert caught.value.examples[0] == first


# -- hints: what went wrong with values that are not IDs ---------------------------------------


def test_a_header_line_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("tweet_id\n1265324480517361664\n20\n")
    with pytest.raises(InvalidIDError) as caught:
        IdSet.from_file(path)
    message = str(caught.value)
    assert "'tweet_id' at line 1" in message
    assert "the first line ('tweet_id') looks like a column name" in message
    assert "Delete the header line" in message
    assert caught.value.count == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1.23E+18", "scientific notation"),
        ("1.265324480517E18", "scientific notation"),
        ("1265324480517440576.0", "'.0' above 2**53"),
        ("20.0", "small enough to be exact"),
    ],
)
def test_floats_marks_in_a_file_say_where_the_digits_went(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(f"1265324480517361664\n{text}\n")
    with pytest.raises(InvalidIDError) as caught:
        IdSet.from_file(path)
    message = str(caught.value)
    assert says in message
    assert "export the ids again from their source as text" in message.lower()
    assert "read_csv" not in message  # a file of IDs: nothing was read with pandas


def test_a_list_written_as_text_in_a_file_is_named() -> None:
    with pytest.raises(InvalidIDError) as caught:
        IdSet.from_ids(["1265324480517361664", "['20', '21']"])
    message = str(caught.value)
    assert "1 is a list written as text" in message
    assert "Write one ID a line, not lists" in message


def test_floats_in_a_list_say_where_the_digits_went() -> None:
    with pytest.raises(InvalidIDError) as caught:
        IdSet.from_ids(["1265324480517361664", 1.2653244805174406e18, "5.0"])
    message = str(caught.value)
    assert caught.value.count == 2
    assert caught.value.examples == [(1, 1.2653244805174406e18), (2, "5.0")]
    assert "scientific notation" in message
    assert "'.0'" in message


@pytest.mark.parametrize("where", ["file", "list"])
def test_spaces_around_ids_are_trimmed_with_a_warning(
    tmp_path: Path, where: str, temporary
) -> None:
    lines = [" 1265324480517361664", "20\t", "\t 7 ", "8", "  "]
    if where == "file":
        path = tmp_path / "ids.txt"
        path.write_text("\r\n".join(lines) + "\r\n")
        source: Any = path
        expected = r"3 ID\(s\) had spaces or tabs around them.*lines 1, 2, 3"
    else:
        source = lines[:-1]
        expected = r"3 ID\(s\) had spaces or tabs around them.*positions 0, 1, 2"
    with pytest.warns(UserWarning, match=expected) as caught:
        made = temporary(IdSet.coerce(source))
    assert made.read_bytes() == b"7\n8\n20\n1265324480517361664\n"
    assert caught[0].filename == __file__  # the warning names the caller's line


def test_spaces_inside_an_id_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("12 34\n 56\n")
    with pytest.raises(InvalidIDError, match="'12 34' at line 1") as caught:
        IdSet.from_file(path)
    assert caught.value.count == 1


def test_trimming_across_chunk_boundaries() -> None:
    from compliance_frames.idlines import ScanNotes, scan_ids

    data = b"".join(b" " * (i % 3) + str(i).encode() + b"\t" * (i % 2) + b"\n" for i in range(500))
    for chunk_size in (5, 64, 4096):
        notes = ScanNotes()
        got = np.concatenate(
            list(scan_ids(io.BytesIO(data), trim=True, notes=notes, chunk_size=chunk_size))
        )
        assert got.tolist() == list(range(500))
        assert notes.trimmed == sum(1 for i in range(500) if i % 3 or i % 2)
