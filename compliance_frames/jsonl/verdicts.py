"""What the results say must happen to each ID: removed (and why), geo scrubbed, edited.

Results hold only the IDs with an event, so these sets are small whatever the file.
The rule is the frames layer's, read from :mod:`compliance_frames.reasons`: an event
whose flags include a removal (``deleted``, ``protected``, ``suspended``,
``deactivated``) removes the post or account; ``scrub_geo``/``geo_scrubbed`` (or action
``scrub_geo``) scrub the post's geo data; ``tweet_edited`` (or action ``rehydrate``)
marks an edited post; an ID X refused (``error``) is counted and left alone; an event
that sets no flag (a reason this version does not know) removes, to be safe. Where an ID
has several events (older results files), removal wins over the others.

Example:
    >>> verdicts = Verdicts.of(
    ...     [{"id": "20", "action": "delete", "reason": "deleted"},
    ...      {"id": "21", "action": "scrub_geo", "reason": "geo_scrubbed"},
    ...      {"id": "22", "action": "rehydrate", "reason": "tweet_edited"}],
    ...     [{"id": "7", "action": "delete", "reason": "suspended"}],
    ... )
    >>> verdicts.posts, sorted(verdicts.scrubbed), sorted(verdicts.edited), verdicts.accounts
    ({'20': 'deleted'}, ['21'], ['22'], {'7': 'suspended'})
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..reasons import REMOVAL_REASONS, flags_of

__all__ = ["REMOVAL_REASONS", "Verdicts"]

_GRAVITY = {"deleted": 0, "suspended": 1, "deactivated": 2, "protected": 3}


@dataclass
class Verdicts:
    """Removed posts and accounts (ID -> reason), scrubbed and edited post IDs."""

    posts: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    scrubbed: set[str] = field(default_factory=set)
    edited: set[str] = field(default_factory=set)
    drop_edited: bool = False
    refused: int = 0

    @classmethod
    def of(
        cls,
        posts: Iterable[dict[str, Any]],
        accounts: Iterable[dict[str, Any]],
        *,
        drop_edited: bool = False,
    ) -> Verdicts:
        """From the records of a posts job's results and of an accounts job's."""
        verdicts = cls(drop_edited=drop_edited)
        for record in posts:
            verdicts._add(record, verdicts.posts, posts=True)
        for record in accounts:
            verdicts._add(record, verdicts.accounts, posts=False)
        verdicts.scrubbed -= verdicts.posts.keys()
        verdicts.edited -= verdicts.posts.keys()
        return verdicts

    def _add(self, record: dict[str, Any], removed: dict[str, str], *, posts: bool) -> None:
        key = str(record["id"])
        if record.get("error"):
            self.refused += 1
            return
        reason = str(record.get("reason") or "")
        flags = flags_of(reason, str(record.get("action") or ""))
        removal = not flags or bool(flags.intersection(REMOVAL_REASONS))
        if posts and not removal and "scrub_geo" in flags:
            self.scrubbed.add(key)
        elif posts and not removal and "edited" in flags:
            self.edited.add(key)
        else:
            reason = reason or "other"
            earlier = removed.get(key)
            if earlier is None or _GRAVITY.get(reason, 9) < _GRAVITY.get(earlier, 9):
                removed[key] = reason

    def flagged(self) -> bool:
        """Whether anything at all is to change."""
        return bool(self.posts or self.accounts or self.scrubbed or self.edited)
