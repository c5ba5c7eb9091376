#!/usr/bin/env python3
"""Plan compiler speed: `compiler build` of N generated connectors in one process, cold start included.

    python bench/bench_build.py [--count 1000] [--runs 3]

Prints, for N connectors (a third each of sql_pull, rest_pull and rest_push; half of the SQL ones incremental,
so the watermark predicate is neutralised): the wall time of `compiler build DIR --out OUT` as a fresh process
(median and best of --runs), plans per second, and an in-process split into validation, lowering and writing.
Target (2 cores): 1,000 connectors in under 3 s. `--count 20 --runs 1` is the quick CI run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import connector

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS_PER_1000 = 3.0


def generate(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for index in range(count):
        (folder / f"conn-{index:05d}.yaml").write_text(connector(index))


def timed_build(work: Path, out: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-P", "-m", "compiler", "build", "connectors", "--out", str(out)],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"compiler build failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def in_process_split(work: Path, out: Path) -> tuple[float, float, float]:
    """Validation, lowering and writing, timed separately in this (warm) process."""
    from compiler.emit.plans import write_plans
    from compiler.lower.files import lower_files
    from compiler.validation import validate_paths

    previous = Path.cwd()
    os.chdir(work)
    try:
        t0 = time.perf_counter()
        result = validate_paths(["connectors"], jobs=1)  # as compiler build does
        t1 = time.perf_counter()
        compiled = lower_files(result.files)
        t2 = time.perf_counter()
        write_plans(out, compiled.plans)
        t3 = time.perf_counter()
    finally:
        os.chdir(previous)
    if result.exit_code() != 0 or compiled.problems:
        sys.exit("generated connectors did not compile")
    return t1 - t0, t2 - t1, t3 - t2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="connectors to generate (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="timed builds (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        generate(work / "connectors", args.count)
        times = [timed_build(work, work / f"out-{run}") for run in range(args.runs)]
        rewrite = timed_build(work, work / "out-0")  # every plan unchanged: nothing rewritten
        validate, lower, write = in_process_split(work, work / "out-split")
        plans = len(list((work / "out-0").glob("*.plan.json")))
    median, best = statistics.median(times), min(times)
    print(f"compiler build, {args.count} connectors -> {plans} plans, {os.cpu_count()} cores")
    print(f"  fresh process, cold: median {median:.2f} s, best {best:.2f} s over {args.runs} runs")
    print(f"  rate:                {args.count / median:,.0f} connectors/s")
    print(f"  rebuild, unchanged:  {rewrite:.2f} s")
    print(f"  in-process split:    validate {validate:.2f} s, lower {lower:.2f} s, write {write:.2f} s")
    if args.count >= 1000:
        verdict = "OK" if median < TARGET_SECONDS_PER_1000 else "SLOWER THAN TARGET"
        print(f"  target:              < {TARGET_SECONDS_PER_1000:g} s for 1,000 connectors: {verdict}")
    else:
        print(
            f"  target:              < {TARGET_SECONDS_PER_1000:g} s for 1,000 connectors (not judged at {args.count})"
        )
    return 0 if plans == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
