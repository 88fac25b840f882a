"""From IDs to the canonical upload file, through every entry point, with ratios.

    python benchmarks/bench_ids.py                 # 10 million IDs
    python benchmarks/bench_ids.py --ids 1e6       # smaller

Every entry point ends in the same canonical file (sorted, unique, one ID per line) with
its count and digest: ``check()`` from a polars column (``frames.ids.id_set``), and
``Client.run_job`` / ``upload_ids`` / ``submit`` / the CLI (``IdSet.coerce``) from a
numpy array, a Python list of ints, a list of strings or an ID file. In one run, on the
same IDs (about 10% duplicates, in random order), each entry is timed (best of
``--repeat``) and divided by the time of the polars primitives (``unique().sort()``,
``write_csv``, the digest on a second thread: what ``check()`` used before), and every
file is checked to be byte for byte the same. The time to build the input (the list,
the file) is not counted.

Prints a table and writes JSON to benchmarks/results/ids.json.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from compliance_frames.client import IdSet
from compliance_frames.frames.ids import id_set
from compliance_frames.idlines import format_ids

RESULTS = Path(__file__).parent / "results" / "ids.json"
POLARS = "polars primitives"


def polars_primitives(keys: pl.Series) -> IdSet:
    """The reference: polars ``unique().sort()`` and ``write_csv``, the digest on a second
    thread (what ``check()`` did before every entry point shared one routine)."""
    unique = keys.drop_nulls().unique().sort()
    with IdSet.new_file() as path, ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(IdSet.digest_of, unique.to_numpy())
        unique.to_frame("id").write_csv(path, include_header=False)
        return IdSet.from_canonical(path, count=unique.len(), digest=digest.result())


def make_ids(count: int, seed: int = 7) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """``count`` snowflake-sized IDs, about 10% of them repeats, shuffled."""
    rng = np.random.default_rng(seed)
    distinct = rng.integers(10**17, 2 * 10**18, size=count - count // 10, dtype=np.uint64)
    values = np.concatenate([distinct, distinct[: count // 10]])
    rng.shuffle(values)
    return values


def timed(run: Callable[[], IdSet], repeat: int) -> tuple[float, float, IdSet]:
    """Best wall time and best CPU time (every thread of the process) of ``repeat`` runs,
    and the last IdSet (the others discarded). CPU time says more than wall time on a
    machine that other work shares."""
    best, best_cpu, made = float("inf"), float("inf"), None
    for _ in range(repeat):
        if made is not None:
            made.discard()
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        made = run()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    assert made is not None
    return best, best_cpu, made


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=float, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    count = int(args.ids)

    values = make_ids(count)
    work = args.out.parent / "bench-ids-input.txt"
    work.parent.mkdir(parents=True, exist_ok=True)
    work.write_bytes(format_ids(values))
    series = pl.Series("id", values, dtype=pl.UInt64)
    entries: dict[str, tuple[Callable[[], Any], Callable[[Any], IdSet]]] = {
        POLARS: (lambda: series, polars_primitives),
        "polars Series (check)": (lambda: series, id_set),
        "numpy uint64 array": (lambda: values, IdSet.coerce),
        "numpy int64 array": (lambda: values.astype(np.int64), IdSet.coerce),
        "list of ints": (values.tolist, IdSet.coerce),
        "list of strings": (lambda: [str(v) for v in values.tolist()], IdSet.coerce),
        "ID file": (lambda: work, IdSet.coerce),
        # The same parsing done by polars, for scale: what text costs whoever reads it.
        "(polars, list of strings)": (
            lambda: [str(v) for v in values.tolist()],
            lambda texts: polars_primitives(pl.Series(texts).str.to_integer(dtype=pl.UInt64)),
        ),
        "(polars, read_csv of the file)": (
            lambda: work,
            lambda path: polars_primitives(
                pl.read_csv(path, has_header=False, schema={"id": pl.UInt64})["id"]
            ),
        ),
    }
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    reference: bytes | None = None
    digests = set()
    for name, (build, convert) in entries.items():
        seconds[name], cpu[name], made = timed(functools.partial(convert, build()), args.repeat)
        gc.collect()  # the input (a list of 10 million strings, say) is gone
        content = made.path.read_bytes()
        reference = content if reference is None else reference
        assert content == reference, f"{name}: a different canonical file"
        digests.add((made.count, made.digest))
        made.discard()
    work.unlink()
    assert len(digests) == 1, "the entry points disagree on count or digest"

    ratios = {name: value / seconds[POLARS] for name, value in seconds.items()}
    cpu_ratios = {name: value / cpu[POLARS] for name, value in cpu.items()}
    report = {
        "ids": count,
        "distinct": next(iter(digests))[0],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "ratio_to_polars": ratios,
        "cpu_ratio_to_polars": cpu_ratios,
    }
    width = max(len(name) for name in seconds)
    print(f"{count:,} IDs ({report['distinct']:,} distinct), best of {args.repeat}:")
    print(f"  {'':<{width}}  {'wall':>8}  {'ratio':>6}  {'CPU':>8}  {'ratio':>6}  (to {POLARS})")
    for name, value in seconds.items():
        print(
            f"  {name:<{width}}  {value:7.3f}s  {ratios[name]:5.2f}x  {cpu[name]:7.3f}s  "
            f"{cpu_ratios[name]:5.2f}x"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
