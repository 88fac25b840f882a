"""The ``.compliance`` namespace: the same methods on every kind of frame.

It holds nothing but the frame it was reached from; each method forwards to the
function of the same name in :mod:`compliance_frames`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import JobType

if TYPE_CHECKING:
    from ..frames import ComplianceSummary


def _frames() -> Any:
    """The frames layer, imported on first use (registering the accessor imports nothing)."""
    from .. import frames

    return frames


class ComplianceNamespace:
    """``df.compliance``: check, results, filter and summary of a frame.

    Every method takes the options of its function, such as ``user_col=``, ``tweet_refs=``,
    ``user_refs=`` and ``retweet_of=``.

    Example:
        >>> flagged = df.compliance.check("tweet_id", type="tweets")  # doctest: +SKIP
        >>> kept = df.compliance.filter(  # doctest: +SKIP
        ...     "id", user_col="author_id", tweet_refs="referenced_tweets.retweeted.id",
        ...     retweet_of="referenced_tweets.retweeted.id")
    """

    def __init__(self, frame: Any) -> None:
        self._frame = frame

    def check(self, id_col: str, type: JobType | str = "tweets", **options: Any) -> Any:
        """The frame with compliance columns added: see :func:`compliance_frames.check`."""
        return _frames().check(self._frame, id_col, type, **options)

    def results(self, id_col: str, type: JobType | str = "tweets", **options: Any) -> Any:
        """The typed results of the frame's IDs: see :func:`compliance_frames.results`."""
        return _frames().results(self._frame, id_col, type, **options)

    def filter(
        self, id_col: str, type: JobType | str = "tweets", *, edited: str = "keep", **options: Any
    ) -> Any:
        """The frame as it may be kept: see :func:`compliance_frames.filter`.

        ``edited="drop"`` removes edited posts instead of keeping them to fetch again.
        """
        return _frames().filter(self._frame, id_col, type, edited=edited, **options)

    def summary(self, **options: Any) -> ComplianceSummary:
        """Counts and shares of a checked frame: see :func:`compliance_frames.summary`."""
        summary: ComplianceSummary = _frames().summary(self._frame, **options)
        return summary
