"""How fast the command line answers ``--help`` and ``--version``, and what it imports.

    python benchmarks/bench_cli_startup.py            # 7 runs of each, median shown
    python benchmarks/bench_cli_startup.py --runs 3

Each figure is the wall time (and CPU time) of a new interpreter (``python -m
compliance_frames ...``, started with ``subprocess``), the median of ``--runs`` runs after
one warm-up run (so that the file system cache is warm, as it is for a user typing
commands). Also:

- ``import compliance_frames`` alone, in a new interpreter;
- ``--help`` with the package's ``__init__`` skipped: the command line's own modules;
- the interpreter alone (``python -c pass``), the floor of every figure;
- which heavy modules (pandas, polars, numpy, narwhals, pyarrow; and requests,
  werkzeug, tqdm) a ``--help`` leaves in ``sys.modules``: as installed, and with the
  package's ``__init__`` skipped (the command line's own modules alone);
- the ten slowest imports of ``--help`` by ``python -X importtime`` (cumulative).

Target (issue 12): ``--help``, ``check --help`` and ``--version`` under 0.3 s on the
2-core reference machine, importing no dataframe library. Prints a table and writes
JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("pandas", "polars", "numpy", "narwhals", "pyarrow", "requests", "werkzeug", "tqdm")
PACKAGE = Path(__file__).resolve().parent.parent / "compliance_frames"
TARGET_SECONDS = 0.3

PROBE = """
import sys
{prelude}
from compliance_frames.cli.main import main
main(["--help"])
print("IMPORTED", sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""

HELP_ALONE = """
from compliance_frames.cli.main import main
sys.exit(main(["--help"]))
"""
"""``--help`` with the command line's own modules alone: what this part costs."""

SKIP_PACKAGE_INIT = f"""
import types
package = types.ModuleType("compliance_frames")
package.__path__ = [{str(PACKAGE)!r}]
sys.modules["compliance_frames"] = package
"""


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``argv`` in a new process,
    after one warm-up run. CPU time tells the cost apart from waiting for a busy CPU."""
    subprocess.run(argv, capture_output=True, check=False)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {result.stderr.decode()[-2000:]}")
    return statistics.median(walls), statistics.median(cpus)


def imported(prelude: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after ``main(["--help"])`` in a child."""
    code = PROBE.format(prelude=prelude, heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = next(x for x in result.stderr.splitlines() if x.startswith("IMPORTED"))
    return list(ast.literal_eval(line.removeprefix("IMPORTED ")))


def slowest_imports(count: int = 10) -> list[tuple[str, float]]:
    """The ``count`` imports of ``--help`` with the largest cumulative time, in seconds."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "compliance_frames", "--help"],
        capture_output=True,
        text=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (
            part.strip() for part in line.removeprefix("import time:").split("|")
        )
        rows.append((name, int(cumulative) / 1e6))
    rows.sort(key=lambda row: -row[1])
    return rows[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each (default: 7)")
    args = parser.parse_args()
    python = [sys.executable]
    cli = [*python, "-m", "compliance_frames"]
    figures = {
        "python -c pass": timed([*python, "-c", "pass"], args.runs),
        "import compliance_frames": timed([*python, "-c", "import compliance_frames"], args.runs),
        "compliance-frames --help": timed([*cli, "--help"], args.runs),
        "compliance-frames --version": timed([*cli, "--version"], args.runs),
        "compliance-frames check --help": timed([*cli, "check", "--help"], args.runs),
        "--help, package __init__ skipped": timed(
            [*python, "-c", f"import sys\n{SKIP_PACKAGE_INIT}\n{HELP_ALONE}"], args.runs
        ),
    }
    heavy = {
        "as installed": imported(""),
        "package __init__ skipped": imported(SKIP_PACKAGE_INIT),
    }
    slowest = slowest_imports()

    print(f"Median of {args.runs} runs (target for the commands: < {TARGET_SECONDS} s)")
    print(f"  {'':<34} {'wall':>9} {'CPU':>9}")
    for name, (wall, cpu) in figures.items():
        mark = ""
        if "--" in name:
            mark = "  ok" if wall < TARGET_SECONDS else "  over target"
        print(f"  {name:<34} {wall:7.3f} s {cpu:7.3f} s{mark}")
    print("\nHeavy modules imported by --help")
    for name, modules in heavy.items():
        print(f"  {name:<34} {', '.join(modules) or 'none'}")
    print("\nSlowest imports of --help (cumulative)")
    for name, seconds in slowest:
        print(f"  {name:<50} {seconds:7.3f} s")

    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    report = {
        "runs": args.runs,
        "seconds": {name: {"wall": w, "cpu": c} for name, (w, c) in figures.items()},
        "heavy_modules": heavy,
        "slowest_imports": slowest,
    }
    (results / "cli_startup.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
