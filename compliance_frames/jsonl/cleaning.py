"""``clean_jsonl()``: a twarc2 collection made compliant in one call.

Two passes over the file, never holding it: the first reads every line, checks its
shape (:mod:`.shapes`) and gathers its post and account IDs (:mod:`.collect`); one posts
job and one accounts job then run at the same time, each distinct ID uploaded once; the
second pass applies X's rules (:mod:`.rules`) line by line and writes the result beside
the destination, renamed over it only once whole (a failure leaves no half file). The
results stay in the client's cache, so running again needs no new job.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .. import audit
from ..errors import InputError
from ..files import atomic_write
from ..hints import Argument, Choice, Hint
from .collect import Found, NotAnId, add_line
from .report import CleanReport
from .rules import Tally, clean_line
from .shapes import bad_line, dumps, read_line
from .verdicts import Verdicts

if TYPE_CHECKING:
    from ..client import Client, JobResult

__all__ = ["clean_jsonl"]

_EDITED = ("keep", "drop")
_BAR_STEP = 1 << 20
"""Bytes read between updates of a progress bar."""


def clean_jsonl(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    client: Client | None = None,
    edited: str = "keep",
    progress: bool = True,
    receipt: str | os.PathLike[str] | None = None,
    **job_options: Any,
) -> CleanReport:
    """Make a twarc2 collection compliant: ``source`` read, ``dest`` written, a report returned.

    ``source`` is JSON lines as twarc2 writes them: API v2 pages (``data``, ``includes``,
    ``meta``), flattened posts (``twarc2 flatten``) or one post object a line, told
    apart line by line. Every post ID and account ID the file holds (posts of ``data``,
    referenced posts, ``includes.tweets``, authors, ``includes.users``, mentioned and
    replied-to accounts) goes to one posts job and one accounts job, run at once. Then,
    as X's guidance asks: posts deleted, protected, suspended or deactivated go, so do
    the posts of removed accounts and the retweets of removed posts; stored copies of
    removed posts and profiles are taken out of ``includes`` (or of the expanded
    references of a flattened line); scrubbed posts lose their ``geo``, and places no
    kept post refers to any more go. Edited posts are kept and listed in the report
    (``edited="drop"`` drops them). Everything else is written back as it was, in the
    same order; a page whose posts all went keeps its line with ``"data": []`` (see
    :mod:`~compliance_frames.jsonl.rules`).

    A line that is not JSON, not UTF-8, or none of the shapes raises :class:`InputError`
    naming it, before any job runs. ``dest`` is written whole or not at all, and may
    not be ``source``. ``receipt=path`` also writes a deletion receipt: each removed post
    and account with its reason, rule (``post``; ``account``; ``author``: a post of a
    removed account; ``retweeted``: a retweet of a removed post; ``edited-dropped``) and
    when X answered, as CSV (``.csv``) or JSON lines (see :mod:`compliance_frames.audit`);
    the run is recorded in the audit log of the client's cache folder. ``job_options`` go
    to :meth:`Client.run_job` (``name``, ``resumable``, ``max_ids_per_job``, ``timeout``,
    ``retry_failed``).

    Example:
        >>> report = compliance_frames.clean_jsonl("tweets.jsonl", "clean.jsonl")  # doctest: +SKIP
        >>> print(report)  # doctest: +SKIP
        >>> report.edited_ids[:3]  # posts to fetch again  # doctest: +SKIP
    """
    if edited not in _EDITED:
        raise InputError(
            f"edited must be 'keep' or 'drop', not {edited!r}.",
            hint=Hint(
                Choice("use ", Argument("edited", "keep")), Choice(Argument("edited", "drop"))
            ),
        )
    source_path, dest_path = Path(source), Path(dest)
    _refuse_same_file(source_path, dest_path)
    report = CleanReport(source=str(source_path), dest=str(dest_path))
    found = _collect(source_path, report, progress)
    if client is None:
        from ..client import Client

        client = Client()
    results, sets = _run_jobs(client, found, report, progress, job_options)
    verdicts = Verdicts.of(
        results["tweets"].records() if "tweets" in results else [],
        results["users"].records() if "users" in results else [],
        drop_edited=edited == "drop",
    )
    report.ids_refused = verdicts.refused
    report.edited_ids = sorted(verdicts.edited, key=int)
    report.lines_out = _write(source_path, dest_path, verdicts, report, progress)
    jobs = [job for result in results.values() for job in result.jobs]
    if receipt is not None:
        removed = _removed(verdicts, results, report)
        audit.write_receipt(receipt, removed, audit.job_records(jobs))
    reasons: Counter[str] = Counter(verdicts.posts.values())
    reasons.update(verdicts.accounts.values())
    reasons.update({"scrub_geo": len(verdicts.scrubbed), "edited": len(verdicts.edited)})
    line = audit.entry(
        "clean_jsonl",
        jobs,
        sets,
        {reason: count for reason, count in reasons.items() if count},
        lines=report.lines_in,
        kept=report.lines_out,
        removed=sum(report.posts_removed.values())
        + report.posts_removed_for_author
        + report.retweets_removed
        + report.edited_dropped
        + report.accounts_removed,
    )
    audit.append(client.cache_dir, line)
    return report


def _removed(
    verdicts: Verdicts, results: dict[str, JobResult], tally: Tally
) -> list[audit.Removed]:
    """The removed posts and accounts for a receipt, with when X answered for each type:
    X's answers (rules ``post`` and ``account``), then the posts of the file removed for
    their author (``author``) or their original (``retweeted``), then edited posts
    dropped (``edited-dropped``); the rules are those of :func:`filter`'s receipts."""

    def as_of(job_type: str) -> str:
        times = [job.created_at for job in results[job_type].jobs] if job_type in results else []
        return min(times).isoformat() if times else ""

    posts, accounts = as_of("tweets"), as_of("users")
    removed = [
        audit.Removed(key, "tweets", reason, "post", posts)
        for key, reason in sorted(verdicts.posts.items(), key=lambda item: int(item[0]))
    ]
    removed += [
        audit.Removed(key, "users", reason, "account", accounts)
        for key, reason in sorted(verdicts.accounts.items(), key=lambda item: int(item[0]))
    ]
    cascaded = sorted(tally.cascaded.items(), key=lambda item: int(item[0]))
    for rule, when in (("author", accounts), ("retweeted", posts)):
        removed += [
            audit.Removed(key, "tweets", reason, rule, when)
            for key, (ruled, reason) in cascaded
            if ruled == rule
        ]
    if verdicts.drop_edited:
        removed += [
            audit.Removed(key, "tweets", "tweet_edited", "edited-dropped", posts)
            for key in sorted(verdicts.edited, key=int)
        ]
    return removed


def _refuse_same_file(source: Path, dest: Path) -> None:
    same = os.path.abspath(source) == os.path.abspath(dest)
    if not same and source.exists() and dest.exists():
        same = os.path.samefile(source, dest)
    if same:
        raise InputError(
            f"The cleaned collection would replace {source} while it is read: the source and "
            "the destination are the same file.",
            hint=Hint(
                Choice(
                    "give another destination, and replace the source with it once "
                    "you have looked at the report"
                )
            ),
        )


def _lines(path: Path, progress: bool, desc: str) -> Iterator[tuple[int, bytes]]:
    """The lines of ``path`` (numbered from 1, with their line endings), a bar counting
    bytes meanwhile."""
    from ..client.progress import byte_bar, close

    bar = byte_bar(path.stat().st_size, desc, enabled=progress)
    try:
        with open(path, "rb") as handle:
            unshown = 0
            for number, line in enumerate(handle, start=1):
                yield number, line
                unshown += len(line)
                if unshown >= _BAR_STEP:
                    bar.update(unshown)
                    unshown = 0
            bar.update(unshown)
    finally:
        close(bar)


def _collect(path: Path, report: CleanReport, progress: bool) -> Found:
    """First pass: every line checked, its IDs gathered."""
    found = Found()
    shapes: Counter[str] = Counter()
    origin = str(path)
    lines = 0
    for number, line in _lines(path, progress, f"Reading {path.name}"):
        lines = number
        record, shape = read_line(line, number, origin)
        shapes[shape] += 1
        if record is None:
            continue
        try:
            add_line(record, shape, found)
        except NotAnId as exc:
            raise bad_line(origin, number, f"has an ID that is not one: {exc}", line) from None
    report.lines_in = lines
    report.lines_by_shape = {shape: shapes[shape] for shape in sorted(shapes)}
    return found


def _run_jobs(
    client: Client,
    found: Found,
    report: CleanReport,
    progress: bool,
    options: dict[str, Any],
) -> tuple[dict[str, JobResult], dict[str, tuple[int, str]]]:
    """One posts job and one accounts job, at the same time; their results by type, and
    the count and digest of the IDs of each (for the audit log)."""
    from ..client import IdSet

    posts, accounts = found.posts.unique(), found.accounts.unique()
    report.posts_checked, report.accounts_checked = int(posts.size), int(accounts.size)
    sets = [
        (job_type, IdSet.from_values(values))
        for job_type, values in (("tweets", posts), ("users", accounts))
        if values.size
    ]
    chosen = client
    counted = {job_type: (ids.count, ids.digest) for job_type, ids in sets}
    try:
        handles = [
            (job_type, chosen.submit(ids, job_type, progress=progress, **options))
            for job_type, ids in sets
        ]
        results = {job_type: handle.wait() for job_type, handle in handles}
    finally:
        for _, ids in sets:
            ids.discard()
    report.job_ids = {
        job_type: [job.id for job in result.jobs] for job_type, result in results.items()
    }
    return results, counted


def _write(source: Path, dest: Path, verdicts: Verdicts, tally: Tally, progress: bool) -> int:
    """Second pass: each line cleaned and written to ``dest`` (atomically); how many."""
    written = 0
    origin = str(source)
    with atomic_write(dest) as sink:
        if not verdicts.flagged():  # nothing to change: the file as it is
            return _copy(source, sink, progress)
        for number, line in _lines(source, progress, f"Writing {dest.name}"):
            record, shape = read_line(line, number, origin)
            if record is None:
                sink.write(line)
                written += 1
                continue
            cleaned = clean_line(record, shape, verdicts, tally)
            if cleaned is None:
                continue
            if cleaned is record:
                sink.write(line)
            else:
                sink.write(dumps(cleaned) + line[len(line.rstrip(b"\r\n")) :])
            written += 1
    return written


def _copy(source: Path, sink: BinaryIO, progress: bool) -> int:
    lines = 0
    for _, line in _lines(source, progress, f"Copying {source.name}"):
        sink.write(line)
        lines += 1
    return lines
