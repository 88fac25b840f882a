"""Out of core: check and filter a dataset larger than the memory allowed to the process.

    python benchmarks/bench_out_of_core.py                       # 100 million rows, 4 GB cap
    python benchmarks/bench_out_of_core.py --rows 2e7 --memory 2  # smaller
    python benchmarks/bench_out_of_core.py --engines dask-distributed,spark

Writes a Parquet dataset of synthetic tweets (IDs, authors, texts, geo), then, for a
polars LazyFrame, a Dask DataFrame (threads of one process), a Dask DataFrame on a
``dask.distributed`` LocalCluster of two worker processes (``dask-distributed``) and a
Spark DataFrame (``local[2]``, ``spark``), in a child process:

    flagged = check(scan, "tweet_id", max_ids_per_job=...)   -> sunk to Parquet
    cleaned = filter(scan, "tweet_id", geo_columns=[...])    -> sunk to Parquet

against the emulator (processing time zero). The IDs are streamed to the upload range
by range, the results joined lazily, the outputs sunk to Parquet. Each engine runs
twice: uncapped, for its true peak memory, then in a memory cgroup capped below the
dataset's in-memory size (when the machine allows cgroups), to show that it fits.
Prints time, peak memory and row counts; writes JSON to benchmarks/results/.

Peak memory is each process's own high-water mark (``VmHWM``): the child's, and that of
each process it started (Dask's workers, Spark's JVM), not ``ru_maxrss``, which a child
inherits from its parent across ``exec``. The cgroup is made under the benchmark's own
memory cgroup (``/proc/self/cgroup``), never at the root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FILE_ROWS = 5_000_000
CGROUPS = Path("/sys/fs/cgroup")
ENGINES = ("polars", "dask", "dask-distributed", "spark")


def own_peak(pid: int | str = "self") -> int:
    """A process's own peak resident memory in bytes (``VmHWM``; 0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def descendants(pid: int) -> list[int]:
    """The processes started, directly or not, by ``pid``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def write_dataset(folder: Path, rows: int) -> tuple[int, int]:
    """``rows`` synthetic tweets in Parquet files; returns (bytes on disk, bytes in memory)."""
    import numpy as np
    import polars as pl

    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".complete-{rows}"
    if not marker.exists():
        for old in folder.glob("*.parquet"):
            old.unlink()
        rng = np.random.default_rng(3)
        for index, start in enumerate(range(0, rows, FILE_ROWS)):
            n = min(FILE_ROWS, rows - start)
            # distinct, increasing tweet IDs: about four a millisecond over a few years
            ids = 1_300_000_000_000_000_000 + (start + np.arange(n, dtype=np.int64)) * 2**18
            geo = rng.random(n) < 0.15
            part = pl.DataFrame(
                {
                    "tweet_id": ids,
                    "author_id": rng.integers(10**6, 10**18, n, dtype=np.int64),
                    "lat": np.where(geo, rng.normal(48.0, 10.0, n), np.nan),
                    "lon": np.where(geo, rng.normal(8.0, 20.0, n), np.nan),
                }
            ).with_columns(
                pl.col("lat").fill_nan(None),
                pl.col("lon").fill_nan(None),
                pl.format(
                    "Synthetic tweet number {} from a research collection, about nothing much",
                    pl.col("tweet_id"),
                ).alias("text"),
            )
            part.write_parquet(folder / f"part-{index:04d}.parquet")
        marker.touch()
    sample = pl.read_parquet(next(folder.glob("*.parquet")))
    in_memory = int(sample.estimated_size() / sample.height * rows)
    on_disk = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    return on_disk, in_memory


def child(args: argparse.Namespace) -> None:
    """Run one engine's check and filter; print a JSON line of figures."""
    import polars as pl

    import compliance_frames
    from compliance_frames import Client

    client = Client(
        os.environ["BEARER_TOKEN"],
        os.environ["X_API_BASE_URL"],
        results_dir=args.cache,
        poll_interval=0.5,
        max_poll_interval=2.0,
    )
    out = Path(args.out)
    options: dict[str, Any] = {
        "client": client,
        "progress": False,
        "max_ids_per_job": int(args.max_ids_per_job),
    }
    figures: dict[str, Any] = {"engine": args.engine}
    started = time.perf_counter()
    if args.engine == "polars":
        source: Any = pl.scan_parquet(f"{args.data}/*.parquet")
        flagged = compliance_frames.check(source, "tweet_id", **options)
        flagged.sink_parquet(out / "flagged.parquet")
        figures["check_seconds"] = time.perf_counter() - started
        middle = time.perf_counter()
        cleaned = compliance_frames.filter(
            source, "tweet_id", geo_columns=["lat", "lon"], **options
        )
        cleaned.sink_parquet(out / "filtered.parquet")
        flagged_glob, filtered_glob = out / "flagged.parquet", out / "filtered.parquet"
    elif args.engine == "spark":
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.driver.memory", args.spark_memory)
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        source = spark.read.parquet(args.data)
        flagged = compliance_frames.check(source, "tweet_id", **options)
        flagged.write.parquet(str(out / "flagged"))
        figures["check_seconds"] = time.perf_counter() - started
        middle = time.perf_counter()
        cleaned = compliance_frames.filter(
            source, "tweet_id", geo_columns=["lat", "lon"], **options
        )
        cleaned.write.parquet(str(out / "filtered"))
        flagged_glob, filtered_glob = out / "flagged" / "*.parquet", out / "filtered" / "*.parquet"
        figures["filter_seconds"] = time.perf_counter() - middle
        # the JVM (Spark's driver and, in local mode, its executors) and its launcher
        figures["workers_peak"] = [own_peak(pid) for pid in descendants(os.getpid())]
        spark.stop()
    else:
        import warnings

        import dask.dataframe as dd

        warnings.filterwarnings("ignore", category=FutureWarning)
        cluster: Any = None
        if args.engine == "dask-distributed":
            from distributed import Client as DaskClient
            from distributed import LocalCluster

            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                memory_limit=int(args.worker_memory * 2**30),
                dashboard_address=None,
            )
            dask_client = DaskClient(cluster)  # type: ignore[no-untyped-call]
        source = dd.read_parquet(args.data)
        compliance_frames.check(source, "tweet_id", **options).to_parquet(out / "flagged")
        figures["check_seconds"] = time.perf_counter() - started
        middle = time.perf_counter()
        cleaned = compliance_frames.filter(
            source, "tweet_id", geo_columns=["lat", "lon"], **options
        )
        cleaned.to_parquet(out / "filtered")
        flagged_glob, filtered_glob = out / "flagged" / "*.parquet", out / "filtered" / "*.parquet"
        figures["filter_seconds"] = time.perf_counter() - middle
        if cluster is not None:
            figures["workers_peak"] = sorted(dask_client.run(own_peak).values())
            dask_client.close()  # type: ignore[no-untyped-call]
            cluster.close()
    figures.setdefault("filter_seconds", time.perf_counter() - middle)
    peak = own_peak()
    counts = (
        pl.scan_parquet(flagged_glob)
        .select(pl.len(), pl.col("compliance_deleted").sum(), pl.col("compliance_scrub_geo").sum())
        .collect()
        .row(0)
    )
    kept = pl.scan_parquet(filtered_glob).select(pl.len()).collect().item()
    figures.update(
        rows=counts[0],
        deleted=counts[1],
        scrub_geo=counts[2],
        kept=kept,
        jobs=len(client.list_jobs("tweets")),
        peak_rss=peak,
    )
    figures.setdefault("workers_peak", [])
    print(json.dumps(figures), flush=True)


def capped(
    command: list[str], limit: int | None, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run ``command``, in a memory cgroup of ``limit`` bytes if given and allowed.

    Returns the result, and whether the cap was in force. The group is made under this
    process's own memory cgroup (cgroup v2 or v1's memory hierarchy); where that cannot be
    done, the command runs uncapped and the reason is printed.
    """
    if limit is None:
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False), False
    group = None
    try:
        parent, limit_file = own_cgroup()
        group = parent / f"compliance-bench-{os.getpid()}"
        group.mkdir()
        (group / limit_file).write_text(str(limit))
    except OSError as error:
        if group is not None and group.is_dir():
            group.rmdir()
        print(f"  (no memory cgroup: {error}; this run is uncapped)", flush=True)
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False), False
    wrapped = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *command]
    try:
        return subprocess.run(wrapped, capture_output=True, text=True, env=env, check=False), True
    finally:
        _remove_group(group)


def _remove_group(group: Path) -> None:
    """Remove a cgroup once the processes of the run have left it (a JVM's helpers may
    outlive the child by a few seconds)."""
    for _ in range(120):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.5)
    print(f"  (the cgroup {group} is still in use: left behind)", flush=True)


def own_cgroup() -> tuple[Path, str]:
    """This process's memory cgroup as a folder, and the name of its limit file.

    Raises OSError when the group is not to be found in the mounted hierarchy (a
    container may see only its own part of it, under another name).
    """
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    for line in lines:  # v1: "4:memory:/path"
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            folder = CGROUPS / "memory" / path.lstrip("/")
            if folder.is_dir():
                return folder, "memory.limit_in_bytes"
            raise FileNotFoundError(f"the memory cgroup {path} is not under {CGROUPS / 'memory'}")
    for line in lines:  # v2: "0::/path"
        if line.startswith("0::"):
            folder = CGROUPS / line[3:].lstrip("/")
            if (folder / "memory.max").exists() or (folder / "cgroup.controllers").exists():
                return folder, "memory.max"
    raise FileNotFoundError("no memory cgroup in /proc/self/cgroup")


def run_engine(engine: str, args: argparse.Namespace, cap: int | None) -> dict[str, Any]:
    """One child run of an engine on a fresh emulator and results cache: its jobs really
    run. Every file it made is removed afterwards, the figures kept."""
    from compliance_frames.emulator import Emulator

    work = Path(tempfile.mkdtemp(prefix=f"bench-ooc-{engine}-"))
    # The storage host is another machine: its files go to RAM where possible, not to
    # the disk the child reads and writes.
    shm = Path("/dev/shm")
    storage = tempfile.mkdtemp(prefix="bench-storage-", dir=shm if shm.is_dir() else None)
    command = [
        sys.executable,
        __file__,
        "--child",
        "--engine",
        engine,
        "--data",
        args.data,
        "--out",
        str(work),
        "--cache",
        str(work / "cache"),
        "--max-ids-per-job",
        str(args.max_ids_per_job),
        "--worker-memory",
        str(args.worker_memory),
        "--spark-memory",
        args.spark_memory,
    ]
    try:
        with Emulator(processing_seconds=0, data_dir=storage) as emulator:
            env = {
                **os.environ,
                "BEARER_TOKEN": emulator.bearer_token,
                "X_API_BASE_URL": emulator.base_url,
            }
            result, enforced = capped(command, cap, env)
    finally:
        shutil.rmtree(storage, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    if result.returncode != 0:
        return {
            "engine": engine,
            "cap": cap,
            "cap_enforced": enforced,
            "failed": result.returncode,
            "stderr": result.stderr[-3000:],
        }
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    figures.update(cap=cap, cap_enforced=enforced)
    return figures


def describe(figures: dict[str, Any], memory: float) -> str:
    """One line about a run."""
    engine = figures["engine"]
    if figures["cap_enforced"]:
        where = f"capped at {memory:g} GB"
    elif figures.get("cap"):
        where = "no cgroup: uncapped"
    else:
        where = "uncapped"
    workers = ""
    if figures.get("workers_peak"):
        each = ", ".join(f"{peak / 1e9:.2f}" for peak in figures["workers_peak"] if peak)
        workers = f" (+ workers/JVM: {each} GB)"
    if "failed" in figures:
        return f"{engine:<16} {where}: FAILED (exit {figures['failed']})\n{figures['stderr']}"
    return (
        f"{engine:<16} {where:<16} check {figures['check_seconds']:5.0f} s, filter "
        f"{figures['filter_seconds']:5.0f} s, peak RSS {figures['peak_rss'] / 1e9:5.2f} GB"
        f"{workers}; "
        f"{figures['rows']:,} rows flagged ({figures['deleted']:,} deleted, "
        f"{figures['scrub_geo']:,} scrub_geo), {figures['kept']:,} kept, {figures['jobs']} jobs"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=float, default=1e8)
    parser.add_argument("--memory", type=float, default=4.0, help="memory cap, in GB")
    parser.add_argument("--max-ids-per-job", type=float, default=25e6)
    parser.add_argument(
        "--data", default=str(Path(tempfile.gettempdir()) / "compliance-bench-dataset")
    )
    parser.add_argument("--engines", default=",".join(ENGINES), help=", ".join(ENGINES))
    parser.add_argument(
        "--worker-memory", type=float, default=1.5, help="memory limit of a Dask worker, in GB"
    )
    parser.add_argument("--spark-memory", default="6g", help="the Spark driver's heap")
    parser.add_argument("--caps", default="none,cap", help="none (uncapped), cap, or both")
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the generated dataset for another run"
    )
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "out_of_core.json")
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return {}
    rows = int(args.rows)
    started = time.perf_counter()
    on_disk, in_memory = write_dataset(Path(args.data), rows)
    print(
        f"dataset: {rows:,} rows, {on_disk / 1e9:.1f} GB on disk, about {in_memory / 1e9:.1f} GB "
        f"in memory (ready in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    limit = int(args.memory * 2**30)
    report: dict[str, Any] = {
        "rows": rows,
        "bytes_on_disk": on_disk,
        "bytes_in_memory": in_memory,
        "memory_cap": limit,
        "runs": [],
    }
    try:
        for engine in args.engines.split(","):
            caps = [None if each == "none" else limit for each in args.caps.split(",")]
            for cap in caps:  # the true peak first, then within the cap
                figures = run_engine(engine, args, cap)
                report["runs"].append(figures)
                print(describe(figures, args.memory), flush=True)
    finally:
        if not args.keep_data:
            shutil.rmtree(args.data, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
