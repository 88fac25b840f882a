"""The record of what was checked and removed: the audit log and deletion receipts.

Every check (``check()``, ``results()``, ``filter()``, ``clean_jsonl``) appends one JSON line
to ``audit.jsonl`` in the client's cache folder: when, the package version, the jobs (ids,
types, creation times), how many IDs of each type were checked and their digest, the count
of each reason X gave, and the rows flagged and removed where known. Never the token. A
line is appended with one ``write`` to a file opened with ``O_APPEND``, so that runs sharing
the folder never interleave their lines.

A deletion receipt (``receipt=`` of ``filter()`` and ``clean_jsonl``) lists each removed ID
with its reason, the rule that removed it and when X produced the answer (``as_of``), after
a header (the package version, the jobs, when it was written): the evidence of deletion the
Developer Agreement lets X ask for. CSV for a ``.csv`` path, JSON lines otherwise.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> append(folder, {"kind": "check", "ids": {"tweets": 3}})
    >>> [entry["ids"] for entry in read_log(folder)]
    [{'tweets': 3}]
    >>> read_log(folder / "elsewhere")
    []
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from ._version import __version__
from .files import atomic_write

__all__ = [
    "AUDIT_FILE",
    "Removed",
    "append",
    "audit_path",
    "entry",
    "job_records",
    "read_log",
    "write_receipt",
]

log = logging.getLogger("compliance_frames")

AUDIT_FILE = "audit.jsonl"
"""The audit log's name in the cache folder."""


def audit_path(folder: str | os.PathLike[str]) -> Path:
    """Where the audit log of a cache folder is."""
    return Path(folder) / AUDIT_FILE


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def job_records(jobs: Iterable[Any]) -> list[dict[str, str]]:
    """Jobs (:class:`~compliance_frames.models.ComplianceJob`) as the log and receipts
    name them: id, type and creation time."""
    return [
        {"id": job.id, "type": job.type.value, "created_at": _stamp(job.created_at)} for job in jobs
    ]


def entry(
    kind: str,
    jobs: Iterable[Any],
    ids: Mapping[str, tuple[int, str]],
    reasons: Mapping[str, int],
    **counts: int | None,
) -> dict[str, Any]:
    """One line of the log: ``jobs`` are :class:`~compliance_frames.models.ComplianceJob`\\ s,
    ``ids`` maps a job type to (how many IDs, their digest), ``reasons`` counts each reason
    X gave; ``counts`` (rows, flagged, removed...) are kept where known (not None).

    Example:
        >>> line = entry("check", [], {"tweets": (2, "ab12")}, {"deleted": 1}, rows=2, kept=None)
        >>> line["kind"], line["ids"], line["digests"], line["reasons"], line["rows"]
        ('check', {'tweets': 2}, {'tweets': 'ab12'}, {'deleted': 1}, 2)
        >>> "kept" in line
        False
    """
    return {
        "time": _stamp(datetime.now(timezone.utc)),
        "version": __version__,
        "kind": kind,
        "jobs": job_records(jobs),
        "ids": {job_type: count for job_type, (count, _) in ids.items()},
        "digests": {job_type: digest for job_type, (_, digest) in ids.items()},
        "reasons": dict(sorted(reasons.items())),
        **{name: value for name, value in counts.items() if value is not None},
    }


def append(folder: str | os.PathLike[str], line: Mapping[str, Any]) -> None:
    """Append ``line`` to the log of ``folder``: one ``write`` of the whole line (O_APPEND).

    A log that cannot be written is logged as a warning, never an end to the check.
    """
    data = (json.dumps(line, separators=(",", ":")) + "\n").encode("utf-8")
    path = audit_path(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(handle, data)
        finally:
            os.close(handle)
    except OSError as exc:
        log.warning("The audit log %s could not be written (%s).", path, exc.strerror or exc)


def read_log(folder: str | os.PathLike[str], since: date | None = None) -> list[dict[str, Any]]:
    """The lines of the log of ``folder`` (those of ``since`` or later); none when absent.

    A line that is not JSON (a disk that filled mid-write) is skipped.
    """
    path = audit_path(folder)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = []
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(line, dict):
            continue
        if since is not None and str(line.get("time", ""))[:10] < since.isoformat():
            continue
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Removed:
    """A removed ID in a receipt: its type (``tweets`` or ``users``), the reason X gave, the
    rule that removed it (``post``, ``author`` (a post of a removed account), ``account``
    (that account), ``retweeted``, ``edited-dropped``, ``unknown
    reason``...) and when X produced the answer (``as_of``, ISO, or empty)."""

    id: str
    type: str
    reason: str
    rule: str
    as_of: str


RECEIPT_FIELDS = ("id", "type", "reason", "rule", "as_of")


def write_receipt(
    path: str | os.PathLike[str], removed: Sequence[Removed], jobs: Sequence[Mapping[str, str]]
) -> Path:
    """Write a deletion receipt at ``path`` (atomically): CSV for ``.csv``, JSON lines
    otherwise (``.jsonl``, ``.ndjson``...). The header (a first JSON line; in CSV, ``#``
    comment lines) holds the package version, the jobs (as :func:`job_records` gives them)
    and when it was written.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "receipt.csv"
        >>> _ = write_receipt(target, [Removed("20", "tweets", "deleted", "post", "")], [])
        >>> target.read_text().splitlines()[-1]
        '20,tweets,deleted,post,'
    """
    target = Path(path)
    header = {
        "receipt": "compliance-frames deletion receipt",
        "version": __version__,
        "written": _stamp(datetime.now(timezone.utc)),
        "jobs": [dict(job) for job in jobs],
        "removed": len(removed),
    }
    out = io.StringIO()
    if target.suffix.lower() == ".csv":
        for name, value in header.items():
            out.write(f"# {name}: {json.dumps(value)}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RECEIPT_FIELDS)
        writer.writerows(
            (item.id, item.type, item.reason, item.rule, item.as_of) for item in removed
        )
    else:
        out.write(json.dumps(header) + "\n")
        for item in removed:
            out.write(json.dumps({name: getattr(item, name) for name in RECEIPT_FIELDS}) + "\n")
    with atomic_write(target) as sink:
        sink.write(out.getvalue().encode("utf-8"))
    return target
