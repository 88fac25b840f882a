"""What :func:`~compliance_frames.jsonl.clean_jsonl` did: counts per rule, the jobs, the
edited posts to fetch again. The same object is printed by the command line and written
as JSON by ``--report FILE``.

Example:
    >>> report = CleanReport(source="in.jsonl", dest="out.jsonl", lines_in=3, lines_out=2)
    >>> report.posts_removed["deleted"] = 1
    >>> report.to_dict()["posts_removed"]
    {'deleted': 1}
    >>> print(str(report).splitlines()[0])
    Cleaned in.jsonl into out.jsonl: 3 lines in, 2 out.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .rules import Tally

__all__ = ["CleanReport"]


@dataclass
class _Run:
    """What was read and checked (the report's first fields)."""

    source: str
    dest: str
    lines_in: int = 0
    lines_out: int = 0
    lines_by_shape: dict[str, int] = field(default_factory=dict)
    posts_checked: int = 0
    accounts_checked: int = 0


@dataclass
class CleanReport(Tally, _Run):
    """Counts of what each rule removed, and what was checked. The rules count into the
    report as they go (it is the :class:`~.rules.Tally` of the run).

    ``posts_removed`` counts the posts (lines of a flattened or plain file, objects of a
    page's ``data``) removed for their own reason (``deleted``, ``protected``,
    ``suspended``, ``deactivated``; another reason X gives is counted under its name);
    ``posts_removed_for_author`` those whose author was removed; ``retweets_removed``
    retweets of a removed post; ``edited_dropped`` edited posts dropped with
    ``edited="drop"``; ``accounts_removed`` accounts of a ``twarc2 users`` collection.
    ``includes_tweets_removed`` and ``includes_users_removed`` count the stored copies
    of removed posts and profiles taken out (from ``includes``, or the expanded copies
    of a flattened line); ``places_dropped`` the places no kept post refers to any more;
    ``geo_emptied`` the posts whose ``geo`` was removed (scrubbed by X). ``edited_ids``
    are the edited posts (to fetch again for their current version), ``job_ids`` the
    jobs run, ``ids_refused`` the IDs X answered as invalid (left as they were).
    """

    edited_ids: list[str] = field(default_factory=list)
    ids_refused: int = 0
    job_ids: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (the posts removed per reason sorted by reason;
        not :attr:`~.rules.Tally.cascaded`, which a receipt lists)."""
        found = asdict(self)
        del found["cascaded"]
        found["posts_removed"] = dict(sorted(self.posts_removed.items()))
        return found

    def to_json(self) -> str:
        """The report as indented JSON (what ``--report FILE`` writes)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def __str__(self) -> str:
        removed = sum(self.posts_removed.values())
        by_reason = ", ".join(
            f"{count:,} {reason}" for reason, count in sorted(self.posts_removed.items())
        )
        lines = [
            f"Cleaned {self.source} into {self.dest}: {self.lines_in:,} lines in, "
            f"{self.lines_out:,} out.",
            f"Checked {self.posts_checked:,} post IDs and {self.accounts_checked:,} account IDs.",
            f"Posts removed: {removed:,}" + (f" ({by_reason})" if by_reason else "") + ";",
            f"  because their author was removed: {self.posts_removed_for_author:,};",
            f"  retweets of a removed post: {self.retweets_removed:,};",
            f"  edited, dropped: {self.edited_dropped:,}.",
            f"Stored copies removed: {self.includes_tweets_removed:,} posts, "
            f"{self.includes_users_removed:,} profiles; places dropped: {self.places_dropped:,}; "
            f"geo emptied: {self.geo_emptied:,}.",
        ]
        if self.accounts_removed:
            lines.append(f"Accounts removed: {self.accounts_removed:,}.")
        if self.edited_ids:
            lines.append(
                f"{len(self.edited_ids):,} posts were edited: fetch them again for their "
                "current version (their IDs are in the report)."
            )
        if self.ids_refused:
            lines.append(
                f"{self.ids_refused:,} IDs were refused by X as invalid; left as they were."
            )
        return "\n".join(lines)
