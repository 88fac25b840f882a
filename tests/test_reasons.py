"""The data of the flag rule, read two ways: as columns (frames) and one event at a time
(clean_jsonl). Both must say the same of every reason and action."""

from __future__ import annotations

import itertools

import polars as pl

from compliance_frames.frames.flags import flag_expressions
from compliance_frames.reasons import FLAGS, KNOWN_REASONS, flags_of

REASONS = [*KNOWN_REASONS, "bounced", None]
ACTIONS = ["delete", "scrub_geo", "rehydrate", "frobnicate", None]


def test_one_event_at_a_time_agrees_with_the_columns() -> None:
    grid = list(itertools.product(REASONS, ACTIONS))
    frame = pl.DataFrame(
        {"reason": [r for r, _ in grid], "action": [a for _, a in grid]},
        schema={"reason": pl.String, "action": pl.String},
    )
    columns = frame.select(flag_expressions(pl.col("reason"), pl.col("action")))
    for (reason, action), row in zip(grid, columns.iter_rows(named=True), strict=True):
        assert flags_of(reason, action) == {flag for flag in FLAGS if row[flag]}, (reason, action)


def test_the_jsonl_verdicts_read_the_same_rule() -> None:
    from compliance_frames.jsonl.verdicts import Verdicts

    posts = [
        {"id": str(number), "reason": reason, "action": action}
        for number, (reason, action) in enumerate(itertools.product(REASONS, ACTIONS))
    ]
    verdicts = Verdicts.of(posts, [])
    for record in posts:
        flags = flags_of(record["reason"], record["action"])
        removed = not flags or bool(flags & {"deleted", "suspended", "protected", "deactivated"})
        assert (record["id"] in verdicts.posts) is removed, record
        assert (record["id"] in verdicts.scrubbed) is (not removed and "scrub_geo" in flags)
