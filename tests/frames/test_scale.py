"""Ten million IDs against the 2026 service with its default 128 MiB cap per upload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import compliance_frames
from compliance_frames import Client
from tests.conftest import EmulatorFactory

N = 10_000_000
BASE = 1_000_000_000_000_000_000  # 19-digit IDs: 20 bytes a line, 200 MB in all


@pytest.mark.slow
@pytest.mark.flow("bytepath")
def test_ten_million_ids_run_as_two_jobs_with_exact_flags(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    # Events at both ends and on either side of the cut between the two parts (the first
    # takes 6,710,886 IDs of 20 bytes, the most that fit in 128 MiB).
    positions = [0, 1, 6_710_885, 6_710_886, 6_710_887, N - 1]
    reasons = ["deleted", "tweet_edited", "geo_scrubbed", "suspended", "protected", "deleted"]
    events = {str(BASE + p): reason for p, reason in zip(positions, reasons, strict=True)}
    emulator = make_emulator(events={"tweets": events})
    client = Client(
        emulator.bearer_token,
        emulator.base_url,
        results_dir=tmp_path / "cache",
        poll_interval=0.05,
        max_poll_interval=0.5,
    )
    ids = np.arange(BASE, BASE + N, dtype=np.uint64)
    np.random.default_rng(0).shuffle(ids)  # the frame's order is not the upload's
    frame = pl.DataFrame({"tweet_id": ids})
    flagged = compliance_frames.check(frame, "tweet_id", client=client, progress=False)
    jobs = emulator.jobs
    assert len(jobs) == 2
    assert all(job["status"] == "complete" for job in jobs)
    cap_lines = 128 * 1024 * 1024 // 20  # whole lines of 20 bytes under the cap
    assert sorted(job["n_ids"] for job in jobs) == [N - cap_lines, cap_lines]
    assert max(job["uploaded_bytes"] for job in jobs) <= 128 * 1024 * 1024
    assert flagged.height == N
    assert flagged["tweet_id"].to_list()[:5] == ids[:5].tolist()  # rows in their order
    hit = flagged.filter(pl.col("compliance_reason").is_not_null())
    found = dict(zip(hit["tweet_id"].to_list(), hit["compliance_reason"].to_list(), strict=True))
    assert found == {int(key): reason for key, reason in events.items()}
    counts = flagged.select(
        pl.col(f"compliance_{flag}").sum()
        for flag in ("deleted", "suspended", "protected", "scrub_geo", "edited")
    ).row(0)
    assert counts == (2, 1, 1, 1, 1)
