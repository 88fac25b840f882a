"""One results line: how a line of a results file (NDJSON) is read and checked, and the
error that names a bad one. Used by :meth:`JobResult.records` (a dict per line) and by
the frames layer's fast reader (:func:`~compliance_frames.frames.events.read_results`),
which parses whole files with polars and asks :func:`first_bad_line` only once that
failed, so that both say the same of the same file.

A line is a JSON object with an ``id`` that is not null (X's ID, or the line it
refused); blank lines, CRLF and padding are allowed; the other fields (:data:`FIELDS`)
may be missing or null, and fields this version does not know are kept (a frame reads
:data:`FIELDS` only, each as text).

Example:
    >>> read_line(b'{"id":"20","action":"delete","reason":"protected"}\\r\\n', 1, "r.ndjson")
    {'id': '20', 'action': 'delete', 'reason': 'protected'}
    >>> read_line(b"  \\r\\n", 2, "r.ndjson") is None
    True
    >>> read_line(b"<html>", 3, "r.ndjson")
    Traceback (most recent call last):
    compliance_frames.errors.ComplianceError: r.ndjson: line 3 is not valid JSON: '<html>'. ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ComplianceError

FIELDS = ("id", "action", "created_at", "redacted_at", "deleted_at", "reason", "error")
"""The fields of a results line that a frame reads (as text; ``id`` required):
``deleted_at`` is an alias of ``redacted_at``, ``error`` marks an ID that X refused."""


def line_problem(record: Any) -> str | None:
    """What is wrong with a parsed line (said after "line N"), or None.

    Example:
        >>> line_problem([1]), line_problem({"reason": "deleted"}), line_problem({"id": None})
        ('is not a JSON object', "has no 'id'", "has no 'id'")
        >>> line_problem({"id": "7", "reason": None, "extra": 1}) is None
        True
    """
    if not isinstance(record, dict):
        return "is not a JSON object"
    if record.get("id") is None:
        return "has no 'id'"
    return None


def bad_line(origin: str, number: int, problem: str, line: bytes) -> ComplianceError:
    """The error for line ``number`` of ``origin``: which, what is wrong, how it starts."""
    shown = line.strip()[:80].decode("utf-8", "replace")
    return ComplianceError(
        f"{origin}: line {number} {problem}: {shown!r}. Results files hold one JSON object "
        "per line; download the results again if the file was cut short."
    )


def read_line(line: bytes, number: int, origin: str) -> dict[str, Any] | None:
    """Line ``number`` of ``origin`` as a dict, None if blank; a :class:`ComplianceError`
    naming it if it is not a results line."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except ValueError:
        raise bad_line(origin, number, "is not valid JSON", line) from None
    problem = line_problem(record)
    if problem is not None:
        raise bad_line(origin, number, problem, line)
    result: dict[str, Any] = record
    return result


def read_records(paths: Iterable[str | os.PathLike[str]]) -> Iterator[dict[str, Any]]:
    """Every results line of the files at ``paths``, in order, each checked by
    :func:`read_line`.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "1.ndjson"
        >>> _ = path.write_bytes(b'{"id":"1"}\\n\\n{"id":"x","error":"invalid_id"}')
        >>> [record["id"] for record in read_records([path])]
        ['1', 'x']
    """
    for path in paths:
        with open(path, "rb") as source:
            for number, line in enumerate(source, start=1):
                record = read_line(line, number, str(path))
                if record is not None:
                    yield record


def first_bad_line(data: bytes, origin: str) -> ComplianceError:
    """The error for the first line of ``data`` that is not a results line (slow: for
    when a fast reader has failed), or one saying the whole could not be read.

    Example:
        >>> print(str(first_bad_line(b'{"id":"1"}\\n{"reason":"x"}\\n', "the results"))[:31])
        the results: line 2 has no 'id'
    """
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            read_line(line, number, origin)
        except ComplianceError as exc:
            return exc
    return ComplianceError(f"{origin} could not be read as NDJSON results.")


def read_bytes(source: Path | bytes) -> bytes:
    """The bytes of a results file (given as a path or as its bytes)."""
    return source if isinstance(source, bytes) else source.read_bytes()
