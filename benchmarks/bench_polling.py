"""What waiting for jobs costs in status requests, and how late completion is seen.

    python benchmarks/bench_polling.py                 # a 6-hour job, 40 small checks
    python benchmarks/bench_polling.py --hours 1 --checks 12

The client and the emulator share a manual clock (the client's ``clock.now`` and
``clock.sleep`` patched), so hours pass in a second; requests are real HTTP over
loopback. Each scenario runs with today's schedule before issue 14 (no forecast, no
quick first check, the reserve waited out: ``LegacySchedule``) and with the current one:

- a long job (``--hours``) without history, with history (one earlier job of the same
  IDs count), with a forecast 6x too short and one 2x too long;
- a job done in 14 ms: the time from the upload to its results;
- ``--checks`` small checks 20 s apart (a notebook's), each 2 s of work at X, in
  15-minute windows of 150 status requests: the median, longest and total time.

Targets (issue 14): with history, the long job seen complete within 5% of its duration
in at most 60 status requests; without history, today's figures; the 14 ms job
answered in about a second, not 5; no small check held up for the window's reset.
Prints a table and writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from compliance_frames import Client
from compliance_frames.client.polling import Forecast, PollSchedule, RateState
from compliance_frames.emulator import Emulator, ManualClock

START = 1_700_000_000.0
RESULTS = Path(__file__).parent / "results"


class LegacySchedule(PollSchedule):
    """The schedule before issue 14: no forecast, no quick first check, and the reserve
    waited out to the window's reset."""

    def delay(
        self,
        age: float,
        rate: RateState | None = None,
        now: float = 0.0,
        *,
        forecast: Forecast | None = None,
        waited: float | None = None,
    ) -> float:
        return super().delay(age, rate, now)


@contextmanager
def manual_time(settle: float = 0.0) -> Iterator[ManualClock]:
    """The client's clock made manual; its sleeps move it (and, with ``settle``, pause
    that many real seconds: the emulator processes an upload in a thread, in real time,
    and a job of milliseconds must be processed when its time has come)."""
    clock = ManualClock(start=START)

    def sleep(seconds: float) -> None:
        clock.advance(seconds)
        if settle:
            time.sleep(settle)

    with (
        mock.patch("compliance_frames.client.clock.now", side_effect=clock.time),
        mock.patch("compliance_frames.client.clock.sleep", side_effect=sleep),
    ):
        yield clock


def client_for(emulator: Emulator, cache: Path, legacy: bool) -> Client:
    client = Client(emulator.bearer_token, emulator.base_url, cache_dir=cache)
    if legacy:
        client.schedule = LegacySchedule(first_check=0.0)  # at once, then poll_interval
    return client


def gets(emulator: Emulator, job_id: str) -> int:
    return sum(1 for e in emulator.request_log("api") if e.path.endswith(f"/jobs/{job_id}"))


def long_job(hours: float, legacy: bool, history: float | None) -> dict[str, Any]:
    """One job of ``hours``; ``history``: the duration one earlier job took (as a share
    of this one's), recorded for the same IDs count; None for no history."""
    seconds = hours * 3600
    ids = [1265324480517361664, 906972198136631298, 20]
    with (
        tempfile.TemporaryDirectory() as folder,
        manual_time() as clock,
        Emulator(clock=clock, processing_seconds=seconds, rate_window=900) as emulator,
    ):
        client = client_for(emulator, Path(folder), legacy)
        if history is not None:
            client.history.record("tweets", "1", n_ids=len(ids), seconds=history * seconds)
        job = client.create_job("tweets")
        client.upload_ids(job, ids)
        uploaded = clock.time()
        client.wait(job)
        lag = clock.time() - (uploaded + seconds)
        statuses = {e.status for e in emulator.request_log("api")}
        return {
            "requests": gets(emulator, job.id),
            "lag_seconds": round(lag, 1),
            "lag_share": round(lag / seconds, 4),
            "no_429": 429 not in statuses,
        }


def small_checks(
    count: int, legacy: bool, work: float = 2.0, think: float = 20.0
) -> dict[str, Any]:
    """``count`` checks of 3 IDs each, one after another (``think`` seconds apart), each
    job done ``work`` seconds after its upload."""
    times: list[float] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        manual_time(settle=0.02) as clock,
        Emulator(clock=clock, processing_seconds=work, rate_window=900) as emulator,
    ):
        client = client_for(emulator, Path(folder), legacy)
        for index in range(count):
            started = clock.time()
            client.run_job(
                [10 * index + 1, 10 * index + 2, 10 * index + 3], "tweets", progress=False
            )
            times.append(clock.time() - started)
            clock.advance(think)
        statuses = [e.status for e in emulator.request_log("api")]
        requests = sum(1 for e in emulator.request_log("api") if "/jobs/" in e.path)
    return {
        "checks": count,
        "first_seconds": round(times[0], 2),
        "median_seconds": round(sorted(times)[count // 2], 1),
        "longest_seconds": round(max(times), 1),
        "total_seconds": round(sum(times) + think * count, 1),
        "status_requests": requests,
        "no_429": 429 not in statuses,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=6.0, help="the long job (default 6)")
    parser.add_argument(
        "--checks", type=int, default=40, help="small checks, 20 s apart (default 40)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "polling.json")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"hours": args.hours, "runs": {}}
    runs = report["runs"]
    for legacy, label in ((True, "before"), (False, "now")):
        runs[f"long, no history, {label}"] = long_job(args.hours, legacy, None)
    runs["long, with history, now"] = long_job(args.hours, False, 1.0)
    runs["long, forecast 6x short, now"] = long_job(args.hours, False, 1 / 6)
    runs["long, forecast 2x long, now"] = long_job(args.hours, False, 2.0)
    for legacy, label in ((True, "before"), (False, "now")):
        runs[f"a 14 ms job, {label}"] = small_checks(1, legacy, work=0.014)
    for legacy, label in ((True, "before"), (False, "now")):
        runs[f"small checks, {label}"] = small_checks(args.checks, legacy)
    before, now = runs["long, no history, before"], runs["long, with history, now"]
    report["ratios"] = {
        "requests_with_history_vs_before": round(now["requests"] / before["requests"], 3),
        "first_answer_before_vs_now": round(
            runs["a 14 ms job, before"]["first_seconds"]
            / max(runs["a 14 ms job, now"]["first_seconds"], 1e-9),
            1,
        ),
        "longest_check_before_vs_now": round(
            runs["small checks, before"]["longest_seconds"]
            / max(runs["small checks, now"]["longest_seconds"], 1e-9),
            1,
        ),
    }
    for name, run in runs.items():
        shown = ", ".join(f"{key} {value}" for key, value in run.items())
        print(f"{name:34} {shown}")
    print("ratios:", ", ".join(f"{key} {value}" for key, value in report["ratios"].items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
