#!/usr/bin/env python3
"""Linter speed: N generated connector files, one process, cold start included; then a re-run on the cache.

    python bench/bench_validate.py [--count 1000]

Prints wall time and files per second for: a cold run (empty cache), a warm run (unchanged files, cache hits)
and a run with the cache disabled. Targets (2 cores): cold < 1.0 s and warm < 0.3 s for 1,000 files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import connector

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"validator failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "connectors"
        folder.mkdir()
        for index in range(options.count):
            (folder / f"conn-{index:05d}.yaml").write_text(connector(index))
        env = {**os.environ, "GEMINI_SYNC_CACHE_DIR": str(Path(tmp) / "cache")}
        command = [sys.executable, str(ROOT / "scripts" / "validate_connectors.py"), str(folder)]
        cold, summary = run(command, env)
        warm, _ = run(command, env)
        uncached, _ = run([*command, "--no-cache"], env)
        one_job, _ = run([*command, "--no-cache", "--jobs", "1"], env)
    n = options.count
    print(f"linter: {n} files ({summary})")
    for label, seconds in (
        ("cold (empty cache)", cold),
        ("warm (unchanged, cache)", warm),
        ("no cache", uncached),
        ("no cache, one process", one_job),
    ):
        print(f"  {label:<26} {seconds:6.3f} s  {n / seconds:8.0f} files/s")


if __name__ == "__main__":
    main()
