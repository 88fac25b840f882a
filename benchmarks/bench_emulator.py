"""Push one large job through the embedded emulator and time every phase.

    python benchmarks/bench_emulator.py            # 10 million IDs (about 200 MB)
    python benchmarks/bench_emulator.py --ids 1e6  # smaller

The client side is the plainest possible: requests, a file streamed from disk,
a streamed download. What is measured is the emulator: receiving the upload,
processing it (validation, outcomes, writing the results) and serving the results.
Prints a table and writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).parent))
from measure import Phases

from compliance_frames.emulator import Emulator
from compliance_frames.idlines import format_ids


def write_ids(path: Path, n: int, seed: int = 42) -> None:
    """Write ``n`` distinct, increasing 19-digit IDs, a million at a time."""
    rng = np.random.default_rng(seed)
    start = np.uint64(10**18)
    with open(path, "wb") as sink:
        for first in range(0, n, 1_000_000):
            gaps = rng.integers(1, 2**20, min(1_000_000, n - first), dtype=np.uint64)
            block = start + np.cumsum(gaps, dtype=np.uint64)
            sink.write(format_ids(block))
            start = block[-1]


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", type=float, default=10e6, help="number of IDs (default 1e7)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "emulator.json"))
    args = parser.parse_args(argv)
    n = int(args.ids)
    folder = Path(tempfile.mkdtemp(prefix="bench-emulator-"))
    ids_path = folder / "ids.txt"
    write_ids(ids_path, n)
    size = ids_path.stat().st_size
    results_path = folder / "results.ndjson"

    # The byte-path flow (X's since September 2026), its 128 MiB cap per upload lifted:
    # this measures the emulator, not the cap (the client splits at the cap by itself).
    with Emulator(processing_seconds=0, max_upload_bytes=1 << 40) as emulator, Phases() as phases:
        auth = {"Authorization": f"Bearer {emulator.bearer_token}"}
        jobs = emulator.base_url + "/2/compliance/jobs"
        with phases("create job"):
            job = requests.post(jobs, json={"type": "tweets"}, headers=auth).json()["data"]
        with phases(f"upload {size / 1e6:.0f} MB"):
            with open(ids_path, "rb") as body:
                answer = requests.put(
                    job["upload_url"],
                    data=body,
                    headers={"Content-Type": "text/plain", "Content-Length": str(size), **auth},
                )
            answer.raise_for_status()
        with phases("processing"):
            emulator.wait_processed(job["id"], timeout=600)
        with phases("status complete"):
            status = requests.get(f"{jobs}/{job['id']}", headers=auth).json()["data"]["status"]
            assert status == "complete", status
        with (
            phases("download"),
            requests.get(job["download_url"], stream=True, headers=auth) as answer,
            open(results_path, "wb") as sink,
        ):
            answer.raise_for_status()
            for block in answer.iter_content(1 << 20):
                sink.write(block)
        view = emulator.job(job["id"])
    total = sum(p.seconds for p in phases.results)
    print(
        f"{view['n_ids']:,} IDs uploaded, {view['n_events']:,} events, "
        f"results {results_path.stat().st_size / 1e6:.0f} MB"
    )
    print(phases.table())
    print(f"{'total':<28}{total:>10.2f}")
    report = {
        "ids": view["n_ids"],
        "events": view["n_events"],
        "upload_bytes": size,
        "results_bytes": results_path.stat().st_size,
        "total_seconds": total,
        "phases": [asdict(p) for p in phases.results],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    for path in (ids_path, results_path):
        path.unlink()
    folder.rmdir()
    return report


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark ran in {time.perf_counter() - started:.1f} s, setup included)")
