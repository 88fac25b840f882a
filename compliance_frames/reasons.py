"""What each reason and action of a results record means: the data of the flag rule.

The one place that says which reasons and actions set which flag, and which flags oblige
a researcher to remove a post or an account. The frames layer builds its columns from
it (:mod:`compliance_frames.frames.flags`); :func:`compliance_frames.clean_jsonl` decides
what to drop from it. Plain Python: no dataframe library.

Example:
    >>> REASON_FLAGS["geo_scrubbed"], flags_of("bounced", "rehydrate")
    ('scrub_geo', {'edited'})
    >>> [flag for flag in FLAGS if flag in REMOVAL_REASONS]
    ['deleted', 'suspended', 'protected', 'deactivated']
"""

from __future__ import annotations

__all__ = [
    "FLAGS",
    "FLAG_ACTIONS",
    "FLAG_REASONS",
    "KNOWN_REASONS",
    "REASON_FLAGS",
    "REMOVAL_REASONS",
    "flags_of",
]

FLAG_REASONS: dict[str, tuple[str, ...]] = {
    "deleted": ("deleted",),
    "suspended": ("suspended",),
    "protected": ("protected",),
    "scrub_geo": ("scrub_geo", "geo_scrubbed"),
    "deactivated": ("deactivated",),
    "edited": ("tweet_edited",),
}
"""The flag rule: each flag, and the reasons that set it (both spellings of geo scrubbing).
An event also sets a flag by its action (see :data:`FLAG_ACTIONS`)."""

FLAG_ACTIONS: dict[str, tuple[str, ...]] = {"scrub_geo": ("scrub_geo",), "edited": ("rehydrate",)}
"""The actions that set a flag whatever the reason: ``rehydrate`` means the post was edited
(fetch it again to hold its current version)."""

FLAGS = tuple(FLAG_REASONS)
"""The boolean flag columns, in order: deleted, suspended, protected, scrub_geo,
deactivated, edited."""

KNOWN_REASONS = tuple(reason for reasons in FLAG_REASONS.values() for reason in reasons)
"""The reasons this version knows; any other is kept, and filtered out to be safe."""

REMOVAL_REASONS = ("deleted", "suspended", "protected", "deactivated")
"""The flags that oblige a researcher to remove the post (scrub_geo only strips geo data;
an edited post is kept, and should be fetched again)."""

REASON_FLAGS = {reason: flag for flag, reasons in FLAG_REASONS.items() for reason in reasons}
"""Each known reason's flag (the inverse of :data:`FLAG_REASONS`)."""


def flags_of(reason: str | None, action: str | None = None) -> set[str]:
    """The flags one event sets: those of its reason, and those of its action (the rule
    that :func:`compliance_frames.frames.flags.flag_expressions` applies to columns).

    Example:
        >>> sorted(flags_of("tweet_edited", "rehydrate")), flags_of("bounced", "delete")
        (['edited'], set())
    """
    flags = {flag for flag, reasons in FLAG_REASONS.items() if reason in reasons}
    return flags | {flag for flag, actions in FLAG_ACTIONS.items() if action in actions}
