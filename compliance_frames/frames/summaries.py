"""Summaries of a checked frame for a paper's methods section, and a plot of them.

Example:
    >>> import polars as pl
    >>> reasons = ["deleted", None, "tweet_edited", "scrub_geo", "geo_scrubbed"]
    >>> flagged = pl.DataFrame({
    ...     "compliance_reason": reasons,
    ...     **{f"compliance_{flag}": [REASON_FLAGS.get(r) == flag for r in reasons]
    ...        for flag in FLAGS},
    ... })
    >>> result = summary(flagged, as_of="2026-11-23")
    >>> print(result.sentence())  # doctest: +NORMALIZE_WHITESPACE
    As of 2026-11-23, 80.0% of 5 posts were still available; 20.0% had been removed
    (20.0% deleted). Geo data had been removed from 40.0%. 20.0% had been edited.
    >>> result.share("tweet", "scrub_geo"), result.share("tweet", "edited")
    (0.4, 0.2)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from ..errors import InputError
from ..hints import Choice, Hint, Spelled
from .backends import collected
from .checking import frame_of, quiet_dask
from .flags import FLAGS, REASON_FLAGS, REMOVAL_REASONS, unknown_reason

__all__ = ["ComplianceSummary", "plot_summary", "summary"]


@dataclass(frozen=True)
class ComplianceSummary:
    """Counts and shares per reason, for tweets and (with a users check) their authors.

    ``table`` has one row per (``level``, ``reason``): level ``any`` for the flags
    (what happened to the tweet or its author), ``tweet`` and ``author`` for the
    deciding reason of each. A known reason is named after its flag (``geo_scrubbed``
    and ``scrub_geo`` are one line, ``scrub_geo``; ``tweet_edited`` is ``edited``); a
    reason this version does not know keeps its name. Shares are of the rows whose IDs
    were checked.
    """

    table: pl.DataFrame
    rows: int
    checked: int
    available: int
    as_of: date
    noun: str = "posts"
    """``posts`` for a check of tweets, ``accounts`` for a users check."""
    removed: int = 0
    """Checked rows to remove (``{prefix}remove``)."""
    unknown: int = 0
    """Checked rows not removed but with an event of a reason this version does not know."""
    dated: str = "checked_at"
    """Where ``as_of`` comes from: ``checked_at`` (when X answered), ``given`` or ``today``
    (a frame without ``{prefix}checked_at``: its date is not known)."""

    def share(self, level: str, reason: str) -> float:
        """The share of checked rows with ``reason`` at ``level`` (0 when absent)."""
        match = self.table.filter((pl.col("level") == level) & (pl.col("reason") == reason))
        return float(match["share"][0]) if match.height else 0.0

    def sentence(self) -> str:
        """One sentence for a methods section. Its shares add up: the available share,
        the removed share and the share with events of other reasons make 100% of the
        checked rows; the per-reason shares of removal may overlap (a post and its author
        removed), which the sentence says; rows not checked are counted and named."""
        one = "post" if self.noun == "posts" else "account"
        skipped = self.rows - self.checked
        unchecked = (
            f" {skipped:,} rows were not checked (invalid IDs) and are left out of these shares."
            if skipped
            else ""
        )
        if not self.checked:
            return (
                f"As of {self.as_of:%Y-%m-%d}, none of the {self.rows:,} {self.noun} was checked."
            )
        kept = "active" if self.noun == "accounts" else "available"
        day = f"{self.as_of:%Y-%m-%d}"
        if self.dated == "today":
            day += " (the day of this summary: the frame does not say when X answered)"
        text = (
            f"As of {day}, {self.available / self.checked:.1%} of "
            f"{self.checked:,} {self.noun} were still {kept}"
        )
        if self.removed:
            parts = [
                f"{self.share('any', reason):.1%} {reason.replace('_', ' ')}"
                for reason in REMOVAL_REASONS
                if self.share("any", reason)
            ]
            several = f"; a {one} can count under several reasons" if len(parts) > 1 else ""
            text += (
                f"; {self.removed / self.checked:.1%} had been removed "
                f"({', '.join(parts)}{several})"
            )
        text += "."
        if self.unknown:
            other = self.table.filter(
                (pl.col("level") != "any") & ~pl.col("reason").is_in(list(FLAGS))
            )
            names = ", ".join(sorted(set(other["reason"].to_list())))
            text += f" {self.unknown / self.checked:.1%} had events of other reasons ({names})."
        if self.share("any", "scrub_geo"):
            text += f" Geo data had been removed from {self.share('any', 'scrub_geo'):.1%}."
        if self.share("any", "edited"):
            text += f" {self.share('any', 'edited'):.1%} had been edited."
        return text + unchecked

    def __str__(self) -> str:
        lines = [self.sentence(), "", f"{'level':<8}{'reason':<14}{'rows':>10}{'share':>9}"]
        for level, reason, rows, share, _ in self.table.iter_rows():
            lines.append(f"{level:<8}{reason:<14}{rows:>10,}{share:>9.1%}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<p>{self.sentence()}</p>{self.table._repr_html_()}"


def summary(
    flagged: Any,
    *,
    prefix: str = "compliance_",
    as_of: date | str | None = None,
    type: str = "tweets",
) -> ComplianceSummary:
    """Summarise a frame returned by :func:`check`.

    ``as_of`` dates the sentence: by default the oldest ``{prefix}checked_at`` (when X
    produced the answers, so a frame reloaded later reports the right date), today (UTC)
    for a frame without that column, which the sentence then says. ``type`` is the check's
    (``users``: the words are of accounts).

    Example:
        >>> print(summary(flagged).sentence())  # doctest: +SKIP
        As of 2026-11-23, 90.2% of 30,000 posts were still available (5.0% deleted, ...).
    """
    frame = frame_of(flagged)
    with quiet_dask():
        columns = frame.collect_schema().names()
    flags = [prefix + reason for reason in FLAGS]
    if not all(name in columns for name in flags):
        raise InputError(
            f"This frame has no {prefix}* flag columns.",
            hint=Hint(
                Choice(Spelled("summarise the result of check() (with the same prefix=)", None))
            ),
        )
    levels = [("tweet", prefix + "reason")]
    if f"{prefix}user_reason" in columns:
        levels.append(("author", f"{prefix}user_reason"))
    removal = [nw.col(prefix + reason).fill_null(False) for reason in REMOVAL_REASONS]
    unknown = nw.any_horizontal(
        *[unknown_reason(column) for _, column in levels], ignore_nulls=True
    )
    roll_up = prefix + "remove"
    removing = (
        nw.col(roll_up).fill_null(False)
        if roll_up in columns
        else nw.any_horizontal(*removal, ignore_nulls=True)
    )
    valid = ~nw.col(prefix + "deleted").is_null()
    aggregates = [
        nw.len().alias("rows"),
        (valid & removing).cast(nw.Int64).sum().alias("removed"),
        (valid & ~removing & unknown).cast(nw.Int64).sum().alias("unknown"),
        (~nw.col(prefix + "deleted").is_null()).cast(nw.Int64).sum().alias("checked"),
        *[nw.col(name).fill_null(False).cast(nw.Int64).sum().alias(name) for name in flags],
        (valid & ~removing & ~unknown).cast(nw.Int64).sum().alias("available"),
    ]
    with quiet_dask():
        totals = collected(frame.select(*aggregates)).row(0, named=True)
        counts = [
            collected(
                frame.select(nw.col(column).cast(nw.String).alias("reason"))
                .filter(~nw.col("reason").is_null())
                .group_by("reason")
                .agg(nw.len().alias("rows"))
            )
            for _, column in levels
        ]
    counts = [  # known reasons named after their flags: the two geo spellings are one
        count.group_by(pl.col("reason").replace(REASON_FLAGS))
        .agg(pl.col("rows").sum())
        .with_columns(pl.lit(level).alias("level"))
        for count, (level, _) in zip(counts, levels, strict=True)
    ]
    checked = int(totals["checked"] or 0)
    rows = [("any", reason, int(totals[prefix + reason] or 0)) for reason in FLAGS]
    table = pl.concat(
        [
            pl.DataFrame(
                rows,
                schema={"level": pl.String, "reason": pl.String, "rows": pl.Int64},
                orient="row",
            ),
            *[
                c.select("level", "reason", pl.col("rows").cast(pl.Int64)).sort(
                    ["rows", "reason"], descending=[True, False]
                )
                for c in counts
            ],
        ]
    ).with_columns(
        (pl.col("rows") / max(checked, 1)).alias("share"),
        (pl.col("rows") / max(checked, 1) * 100).round(1).alias("share %"),
    )
    when = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    dated = "given" if when is not None else "today"
    if when is None and f"{prefix}checked_at" in columns:
        with quiet_dask():
            oldest = collected(frame.select(nw.col(f"{prefix}checked_at").min())).item()
        when = oldest.date() if oldest is not None else None
        dated = "checked_at" if when is not None else dated
    return ComplianceSummary(
        table=table,
        rows=int(totals["rows"]),
        checked=checked,
        available=int(totals["available"] or 0),
        as_of=when or datetime.now(timezone.utc).date(),
        noun="accounts" if type == "users" else "posts",
        removed=int(totals["removed"] or 0),
        unknown=int(totals["unknown"] or 0),
        dated=dated,
    )


def plot_summary(data: Any, *, ax: Any = None, prefix: str = "compliance_") -> Any:
    """A bar chart of the shares per reason (tweet vs author); returns the matplotlib Axes.

    The title is the headline (kept and removed shares, as of the date of the data: see
    :func:`summary`), each bar is labelled with its share, and the axis says that a row
    can count under several reasons.

    ``data``: a :class:`ComplianceSummary` or a frame returned by :func:`check`.
    Needs matplotlib (``pip install "compliance-frames[plot]"``).

    Example:
        >>> ax = compliance_frames.plot_summary(flagged)  # doctest: +SKIP
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            'plot_summary() needs matplotlib: pip install "compliance-frames[plot]"'
        ) from None
    result = data if isinstance(data, ComplianceSummary) else summary(data, prefix=prefix)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    levels = [level for level in ("tweet", "author") if (result.table["level"] == level).any()]
    reasons = [
        reason
        for reason in result.table.filter(pl.col("level") != "any")["reason"]
        .unique(maintain_order=True)
        .to_list()
    ] or list(FLAGS)
    height = 0.8 / max(len(levels), 1)
    for offset, level in enumerate(levels):
        shares = [result.share(level, reason) * 100 for reason in reasons]
        positions = [i + offset * height for i in range(len(reasons))]
        bars = ax.barh(positions, shares, height=height, label=f"{level} event")
        ax.bar_label(bars, labels=[f"{share:.1f}%" for share in shares], padding=2, fontsize=8)
    ax.set_yticks([i + height * (len(levels) - 1) / 2 for i in range(len(reasons))])
    ax.set_yticklabels([reason.replace("_", " ") for reason in reasons])
    ax.invert_yaxis()
    one = "post" if result.noun == "posts" else "account"
    ax.set_xlabel(
        f"% of {result.checked:,} checked {result.noun} (a {one} can count under several reasons)"
    )
    checked = max(result.checked, 1)
    ax.set_title(
        f"As of {result.as_of:%Y-%m-%d}: {result.available / checked:.1%} kept, "
        f"{result.removed / checked:.1%} removed"
    )
    if len(levels) > 1:
        ax.legend()
    return ax
