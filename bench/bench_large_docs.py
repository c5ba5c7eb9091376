"""Large documents: `runtime exec` of a PostgreSQL table of N documents of S bytes each, against `psql \\copy` of
the same table in the same run (the floor: the server's own client reading every byte).

    python bench/bench_large_docs.py [--docs 10000] [--size 1048576] [--copy-runs 1] [--memory-limit MB]

The body is incompressible text stored without TOAST compression, so the server really moves N x S bytes. The
sync renders each body into a document (base64 content, ~1.37 x S) and writes it to upserts.ndjson, so it writes
more than it reads. Reported: seconds, the ratio to `\\copy`, MB/s of source data, peak RSS of the sync process,
and DuckDB's memory limit. `--docs 20 --size 262144` makes a quick CI run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("GEMINI_SYNC_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

CONNECTOR = """\
apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata:
  name: bench-large
spec:
  mode: sql_pull
  schedule: "0 * * * *"
  source:
    type: postgres
    secretRef: bench-large-db
    query: SELECT id, title, body FROM {table}
  mapping:
    idField: id
    titleField: title
    contentTemplate: "{{{{ body }}}}"
  output:
    bucket: file://{artifacts}
    prefix: bench-large
  gemini:
    projectId: bench-project
    location: global
    dataStoreId: bench-large
  ingestion:
    enabled: false  # this benchmark measures the sync; delivery has its own (bench_deliver.py)
  reconciliation:
    deletePolicy: auto_delete_missing
"""


def _create(table: str, docs: int, size: int) -> None:
    import psycopg

    chunks = max(1, size // 32)  # md5 text is 32 characters; each row's body is distinct and incompressible
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, title text, body text)")
        conn.execute(f"ALTER TABLE {table} ALTER COLUMN body SET STORAGE EXTERNAL")
        conn.execute(
            f"INSERT INTO {table} SELECT g, 'Doc ' || g, (SELECT string_agg(md5(g::text || ':' || i::text), '')"
            f" FROM generate_series(1, {chunks}) i) FROM generate_series(1, {docs}) g"
        )
        conn.execute(f"ANALYZE {table}")


def _copy_floor(table: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            ["psql", PG_URL, "-q", "-c", f"\\copy (SELECT id, title, body FROM {table}) TO '/dev/null'"], check=True
        )
        best = min(best, time.perf_counter() - started)
    return best


def _child(plan_path: str, state_dir: str, memory: str) -> None:
    from runtime.memory import default_memory_mb
    from runtime.planfile import load_plan
    from runtime.run import ExecOptions, execute

    limit = int(memory) if memory != "default" else default_memory_mb()
    started = time.perf_counter()
    report = execute(load_plan(Path(plan_path)), ExecOptions(state_dir=Path(state_dir), memory_limit_mb=limit))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peakRssMb": peak, "memoryLimitMb": limit, "report": report.to_json()}))


def _sync(plan: Path, state: Path, memory: str) -> dict[str, Any]:
    env = dict(os.environ, SECRET_BENCH_LARGE_DB=PG_URL)
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(plan), str(state), memory],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"sync failed ({done.returncode}): {done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1 << 20, help="bytes per document body")
    parser.add_argument("--copy-runs", type=int, default=1)
    parser.add_argument("--memory-limit", default="default", help="DuckDB memory limit in MB (default: sized)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    table = f"bench_large_{args.docs}_{args.size}"
    work = Path(tempfile.mkdtemp(prefix="bench-large-"))
    try:
        print(f"creating {args.docs} documents of {args.size} bytes in PostgreSQL ...", file=sys.stderr)
        _create(table, args.docs, args.size)
        connectors = work / "connectors"
        connectors.mkdir()
        (connectors / "bench-large.yaml").write_text(CONNECTOR.format(table=table, artifacts=work / "artifacts"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "compiler",
                "build",
                str(connectors),
                "--out",
                str(work / "plans"),
                "--root",
                str(work),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        floor = _copy_floor(table, args.copy_runs)
        result = _sync(work / "plans" / "bench-large.plan.json", work / "state", args.memory_limit)
        counts = result["report"]["counts"]
        assert counts["new"] == args.docs, counts
        source_mb = args.docs * args.size / 1e6
        print(f"documents            {args.docs} x {args.size} bytes ({source_mb:,.0f} MB of bodies)")
        print(f"psql \\copy           {floor:8.2f} s")
        print(f"runtime exec         {result['seconds']:8.2f} s   {result['seconds'] / floor:5.2f} x \\copy")
        print(f"throughput           {source_mb / result['seconds']:8.1f} MB/s of source data")
        print(f"peak RSS             {result['peakRssMb']:8.0f} MB (DuckDB memory limit {result['memoryLimitMb']} MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


if __name__ == "__main__":
    main()
