"""End-to-end ``check`` on N rows against the emulator, phase by phase, with ratios.

    python benchmarks/bench_check.py                 # 10 million rows
    python benchmarks/bench_check.py --rows 1e6      # smaller

In one run, on the same frame and the same emulator (a separate process, processing
time zero, about 10% of IDs with an event):

- **ours**: ``check()`` on pandas and on polars; the phases (ID extraction and
  validation, serialisation, upload, polling, download, parsing, join) come from the
  library's own timing log, and peak memory is sampled per phase;
- **bare**: the polars (and requests) primitives those phases are built on, alone;
- **baseline**: what the official example client and its peers do: IDs written with a
  Python loop, the whole results file read and parsed line by line with ``json.loads``
  into pandas, then ``merge``.

Prints a table and the ratios, and writes JSON to benchmarks/results/check.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import requests

sys.path.insert(0, str(Path(__file__).parent))
from measure import peak_rss_bytes, reset_peak, rss_bytes

import compliance_frames
from compliance_frames import Client

PHASES = [
    "extract and validate IDs",
    "serialise IDs",
    "upload",
    "poll until complete",
    "download",
    "parse results",
    "join",
]
CLIENT_SIDE = ["extract and validate IDs", "serialise IDs", "parse results", "join"]
POLL = 0.2  # the same fixed pace for every contestant: the waiting is X's, not ours


# -- measuring ------------------------------------------------------------------------


@dataclass
class Run:
    """One measured run: phase seconds, total seconds, peak memory above the start."""

    name: str
    phases: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    peak_above_start: int = 0
    phase_growth: dict[str, int] = field(default_factory=dict)  # peak above the phase's start


class PhaseLog(logging.Handler):
    """Collects the library's phase records (``compliance_frames.timing``), with the peak
    memory of each: the kernel's peak resident size, read and reset at every record, so
    nothing is sampled and nothing runs beside the code measured."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, float, int, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        phase = getattr(record, "phase", None)
        if phase is not None:
            seconds: float = record.seconds  # type: ignore[attr-defined]
            self.records.append((phase, seconds, peak_rss_bytes(), rss_bytes()))
            reset_peak()


def measure(name: str, work: Callable[[], Any], phases: PhaseLog | None = None) -> tuple[Run, Any]:
    """Run ``work`` once, measuring its time and peak memory (and its phases if logged).

    A phase's growth is its peak resident size (between the end of the phase before it
    and its own end) above the resident size at that start.
    """
    gc.collect()
    run = Run(name)
    start_rss = rss_bytes()
    if phases is not None:
        phases.records.clear()
    reset_peak()
    started = time.perf_counter()
    result = work()
    run.total = time.perf_counter() - started
    peaks = [peak_rss_bytes()]
    level = start_rss
    for phase, seconds, peak, after in phases.records if phases else []:
        run.phases[phase] = run.phases.get(phase, 0.0) + seconds
        run.phase_growth[phase] = max(run.phase_growth.get(phase, 0), peak - level)
        peaks.append(peak)
        level = after
    run.peak_above_start = max(peaks) - start_rss
    return run, result


# -- the data and the emulator -----------------------------------------------------------


def make_frame(rows: int, seed: int = 7) -> pl.DataFrame:
    """A research dataset: distinct 19-digit tweet IDs, author IDs, a payload column."""
    rng = np.random.default_rng(seed)
    gaps = rng.integers(1, 2**20, rows, dtype=np.int64)
    tweet_ids = 1_200_000_000_000_000_000 + np.cumsum(gaps)
    rng.shuffle(tweet_ids)
    return pl.DataFrame(
        {
            "tweet_id": tweet_ids,
            "author_id": rng.integers(10**6, 10**18, rows, dtype=np.int64),
            "retweets": rng.integers(0, 1000, rows, dtype=np.int64),
        }
    )


class EmulatorProcess:
    """The emulator in a process of its own, so that its memory is not counted as ours."""

    def __init__(self) -> None:
        self.token = "bench-token"
        # The real storage host is another machine: keep the emulator's files off our disk
        # (in RAM where possible), so that its writes do not slow our own fsync.
        shm = Path("/dev/shm")
        self.data_dir = tempfile.mkdtemp(prefix="bench-storage-", dir=shm if shm.is_dir() else None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "compliance_frames",
                "emulator",
                "--port",
                "0",
                "--token",
                self.token,
                "--processing-seconds",
                "0",
                "--data-dir",
                self.data_dir,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            match = re.search(r"export X_API_BASE_URL=(\S+)", line)
            if match:
                self.base_url = match.group(1)
                break

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.data_dir, ignore_errors=True)


# -- the contestants ---------------------------------------------------------------------


def ours(frame: Any, emulator_url: str, token: str, folder: Path) -> Any:
    client = Client(
        token, emulator_url, cache_dir=folder, poll_interval=POLL, max_poll_interval=POLL
    )
    return compliance_frames.check(frame, "tweet_id", client=client, progress=False)


def baseline(
    pdf: pd.DataFrame, emulator_url: str, token: str, folder: Path
) -> tuple[pd.DataFrame, dict[str, float]]:
    """What the official example client and its peers do, timed step by step."""
    times: dict[str, float] = {}
    clock = time.perf_counter
    auth = {"Authorization": f"Bearer {token}"}
    jobs = emulator_url + "/2/compliance/jobs"
    t = clock()
    path = folder / "tweet_ids.txt"
    with open(path, "w") as sink:
        for tweet_id in pdf["tweet_id"]:
            sink.write(f"{tweet_id}\n")
    times["extract and validate IDs"] = 0.0
    times["serialise IDs"] = clock() - t
    # X's 2026 flow: the bearer token on the transfers too, at most 128 MiB per upload, so
    # one job per part, one after another (one active job per type).
    times["upload"] = times["poll until complete"] = times["download"] = 0.0
    texts: list[str] = []
    for part in _baseline_parts(path, folder):
        t = clock()
        created = requests.post(
            jobs, json={"type": "tweets", "name": f"baseline-{part.stem}"}, headers=auth
        )
        job = created.json()["data"]
        with open(part, "rb") as body:
            answer = requests.put(
                job["upload_url"], data=body, headers={"Content-Type": "text/plain", **auth}
            )
        answer.raise_for_status()
        times["upload"] += clock() - t
        t = clock()
        while (
            requests.get(f"{jobs}/{job['id']}", headers=auth).json()["data"]["status"] != "complete"
        ):
            time.sleep(POLL)
        times["poll until complete"] += clock() - t
        t = clock()
        texts.append(requests.get(job["download_url"], headers=auth).text)
        times["download"] += clock() - t
    text = "".join(texts)
    t = clock()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    results = pd.DataFrame(records)
    times["parse results"] = clock() - t
    t = clock()
    keyed = pdf.assign(id=pdf["tweet_id"].astype(str))
    merged = keyed.merge(results, on="id", how="left")
    times["join"] = clock() - t
    return merged, times


def _baseline_parts(path: Path, folder: Path) -> list[Path]:
    """The ID file cut into parts of at most 128 MiB (at line ends), as a script must."""
    limit = 128 * 1024 * 1024
    parts: list[Path] = []
    with open(path, "rb") as source:
        carry = b""
        while True:
            block = carry + source.read(limit - len(carry))
            if not block:
                break
            cut = block.rfind(b"\n") + 1 if len(block) == limit else len(block)
            part = folder / f"part{len(parts) + 1}.txt"
            part.write_bytes(block[:cut])
            parts.append(part)
            carry = block[cut:]
    return parts


def bare(
    frame: pl.DataFrame | pd.DataFrame, results_paths: list[Path], folder: Path
) -> dict[str, float]:
    """The primitives our client-side phases are built on, alone, for this engine.

    For pandas input they include polars' own way in and out of pandas
    (``pl.from_pandas``, ``to_pandas``), which any polars-based path must take.
    """
    times: dict[str, float] = {}
    clock = time.perf_counter
    t = clock()
    if isinstance(frame, pd.DataFrame):
        column = pl.from_pandas(frame["tweet_id"])
    else:
        column = frame["tweet_id"]
    keys = column.cast(pl.UInt64)
    times["extract and validate IDs"] = clock() - t
    t = clock()
    keys.unique().sort().to_frame().write_csv(folder / "bare_ids.txt", include_header=False)
    times["serialise IDs"] = clock() - t
    t = clock()
    results = pl.concat([pl.read_ndjson(path) for path in results_paths])  # one file a job
    times["parse results"] = clock() - t
    t = clock()
    table = results.select(pl.col("id").cast(pl.UInt64), "reason", "action", "redacted_at").unique(
        "id"
    )
    joined = keys.alias("id").to_frame().join(table, on="id", how="left", maintain_order="left")
    if isinstance(frame, pd.DataFrame):
        added = joined.drop("id").to_pandas()
        added.index = frame.index
    times["join"] = clock() - t
    return times


# -- the run -----------------------------------------------------------------------------


def touch_memory(gigabytes: float) -> None:
    """Touch (then free) this much memory once.

    On a virtual machine, memory the guest has never used costs a fault in the
    hypervisor on first touch (writes into it run at a tenth of their later speed),
    and that cost lands on whichever phase first allocates. Touching it up front
    leaves every contestant the same, warm machine.
    """
    block = np.ones(int(gigabytes * 2**30) // 8, dtype=np.float64)
    del block


def warm_up(work: Path) -> None:
    """One small run of every contestant, so that none pays for being first to run."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    touch_memory(min(8.0, total / 3))
    small = make_frame(20_000, seed=1)
    emulator = EmulatorProcess()
    try:
        for data in (small, small.to_pandas()):
            ours(data, emulator.base_url, emulator.token, work / "warm-up")
        baseline(small.to_pandas(), emulator.base_url, emulator.token, work)
    finally:
        emulator.stop()
    for data in (small, small.to_pandas()):
        bare(data, sorted((work / "warm-up" / "results").glob("*.ndjson")), work)


def best_of(runs: list[Run]) -> Run:
    """The fastest run, with each phase at its fastest and the highest memory peak of any."""
    best = min(runs, key=lambda run: run.total)
    best.peak_above_start = max(run.peak_above_start for run in runs)
    best.phase_growth = {
        phase: max(run.phase_growth.get(phase, 0) for run in runs) for phase in best.phase_growth
    }
    # Each phase at its best too, as the bare primitives are: single phases of tens of
    # milliseconds vary more from run to run than they differ from each other.
    best.phases = {phase: min(run.phases.get(phase, 0.0) for run in runs) for phase in best.phases}
    return best


def run_ours(engine: str, data: Any, work: Path, phases: PhaseLog, attempt: int) -> tuple[Run, Any]:
    """One run of ours, then the bare primitives in the same state of the process."""
    emulator = EmulatorProcess()
    try:
        folder = work / f"{engine}-{attempt}"
        run, result = measure(
            f"ours ({engine})",
            lambda: ours(data, emulator.base_url, emulator.token, folder),
            phases,
        )
    finally:
        emulator.stop()
    assert len(result) == len(data)
    del result
    gc.collect()
    return run, bare(data, sorted((folder / "results").glob("*.ndjson")), work)


def run_baseline(pdf: pd.DataFrame, work: Path, attempt: int) -> tuple[Run, Any]:
    emulator = EmulatorProcess()
    try:
        run, (merged, times) = measure(
            "baseline", lambda: baseline(pdf, emulator.base_url, emulator.token, work)
        )
    finally:
        emulator.stop()
    run.phases = times
    assert len(merged) >= len(pdf)
    return run, None


def compete(
    frame: pl.DataFrame, pdf: pd.DataFrame, work: Path, phases: PhaseLog, repeat: int
) -> tuple[dict[str, Run], dict[str, dict[str, float]]]:
    """``repeat`` rounds of every contestant; the best run of each, and the bare times.

    Every contestant runs once per round, in a rotating order, so that a drift in the
    machine's state (page cache, memory, a noisy neighbour) falls on all of them.
    """
    contestants = ["polars", "pandas", "baseline"]
    tries: dict[str, list[Run]] = {name: [] for name in contestants}
    bare_runs: dict[str, list[dict[str, float]]] = {"polars": [], "pandas": []}
    for attempt in range(repeat):
        shift = attempt % len(contestants)
        for name in contestants[shift:] + contestants[:shift]:
            if name == "baseline":
                run, _ = run_baseline(pdf, work, attempt)
            else:
                data = frame if name == "polars" else pdf
                run, bare_run = run_ours(name, data, work, phases, attempt)
                bare_runs[name].append(bare_run)
            tries[name].append(run)
            gc.collect()
    bare_times = {
        engine: {phase: min(run[phase] for run in done) for phase in done[0]}
        for engine, done in bare_runs.items()
    }
    return {name: best_of(tries[name]) for name in contestants}, bare_times


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds: runs per contestant; the best counts"
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "check.json"))
    args = parser.parse_args(argv)
    rows = int(args.rows)
    timing = logging.getLogger("compliance_frames.timing")
    timing.setLevel(logging.DEBUG)
    phases = PhaseLog()
    timing.addHandler(phases)
    frame = make_frame(rows)
    pdf = frame.to_pandas()
    input_bytes = {
        "polars": frame.estimated_size(),
        "pandas": int(pdf.memory_usage(deep=True).sum()),
    }
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        warm_up(work)  # imports, thread pools, first allocations: not what is being measured
        runs, bare_times = compete(frame, pdf, work, phases, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # gigabytes of ID and results files
    base_run = runs["baseline"]
    base_times = base_run.phases
    report: dict[str, Any] = {"runs": {}}

    # -- the table -------------------------------------------------------------------------
    print(
        f"\ncheck() on {rows:,} rows, emulator with processing time 0 (in its own process), "
        f"best of {args.repeat} runs each\n"
    )
    header = (
        f"{'phase':<26}{'ours pandas':>13}{'bare pandas':>13}{'ours polars':>13}"
        f"{'bare polars':>13}{'baseline':>10}"
    )
    print(header)
    print("-" * len(header))

    def cell(value: float | None, width: int) -> str:
        return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"

    for phase in PHASES:
        print(
            f"{phase:<26}{cell(runs['pandas'].phases.get(phase), 13)}"
            f"{cell(bare_times['pandas'].get(phase), 13)}"
            f"{cell(runs['polars'].phases.get(phase), 13)}"
            f"{cell(bare_times['polars'].get(phase), 13)}{cell(base_times.get(phase), 10)}"
        )
    print("-" * len(header))
    print(
        f"{'end to end':<26}{runs['pandas'].total:>13.2f}{'':>13}{runs['polars'].total:>13.2f}"
        f"{'':>13}{base_run.total:>10.2f}"
    )
    print("\nratios")
    for engine in ("pandas", "polars"):
        speedup = base_run.total / runs[engine].total
        print(f"  end to end, baseline / ours ({engine}): {speedup:.1f}x   (target >= 5x)")
    for engine in ("pandas", "polars"):
        for phase in CLIENT_SIDE:
            ratio = runs[engine].phases.get(phase, 0.0) / max(bare_times[engine][phase], 1e-9)
            print(f"  {phase:<26} ours ({engine}) / bare: {ratio:.2f}x   (target <= 1.5x)")
    upload_bytes = int(frame["tweet_id"].unique().cast(pl.String).str.len_bytes().sum()) + rows
    print("\nmemory: peak above the input frame (MB), worst of the runs")
    for engine in ("pandas", "polars"):
        run = runs[engine]
        print(
            f"  ours ({engine}): {run.peak_above_start / 1e6:.0f} MB (input frame "
            f"{input_bytes[engine] / 1e6:.0f} MB; target < 1000 MB); upload phase "
            f"+{run.phase_growth.get('upload', 0) / 1e6:.0f} MB for a "
            f"{upload_bytes / 1e6:.0f} MB file"
        )
    print(f"  baseline: {base_run.peak_above_start / 1e6:.0f} MB")
    for name, run in runs.items():
        report["runs"][name] = {
            "total_seconds": run.total,
            "phases": run.phases,
            "peak_above_start": run.peak_above_start,
            "phase_growth": run.phase_growth,
        }
    report.update(rows=rows, repeat=args.repeat, bare=bare_times, input_bytes=input_bytes)
    report["ratios"] = {
        "end_to_end_speedup": {e: base_run.total / runs[e].total for e in ("pandas", "polars")},
        "vs_bare": {
            e: {p: runs[e].phases.get(p, 0.0) / max(bare_times[e][p], 1e-9) for p in CLIENT_SIDE}
            for e in ("pandas", "polars")
        },
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    timing.removeHandler(phases)
    return report


if __name__ == "__main__":
    main()
