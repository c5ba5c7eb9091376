"""End-to-end sync benchmark: `runtime exec` of a PostgreSQL connector (or, with `--provider mysql`, a MariaDB
one) against the server's own command-line client (`psql \\copy` or `mariadb --quick`) in the same run.

    python bench/bench_sync.py [--rows 1000000] [--repeat 3] [--reuse] [--provider postgres|mysql] [--table NAME]

Phases (each a fresh process running `runtime.run.execute`, so peak RSS is the phase's own):
  first sync       empty state: extract, map, stage, write every document, commit state
  unchanged        the same table again: extract, stage, diff, nothing to upsert
  1% change        1% of rows edited in the server, then a re-sync that must upsert exactly those
The table is the issue's shape (id, title, ~500-byte body, department, updated_at), generated in the server by
`bench/datasets.py`. Targets (issue 5): unchanged <= 1.5 x \\copy, first sync <= 3 x \\copy, peak RSS < 600 MB
at 1M rows. `--rows 2000` makes a quick CI run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.datasets import MYSQL_URL, PG_URL, create_mysql, create_pg, mysql_connect  # noqa: E402 - needs the repository root on sys.path

CONNECTOR = """\
apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata:
  name: bench-sync
spec:
  mode: sql_pull
  schedule: "0 * * * *"
  source:
    type: {provider}
    secretRef: bench-sync-db
    query: SELECT id, title, body, department, updated_at FROM {table}
    watermarkField: updated_at
  mapping:
    idField: id
    titleField: title
    contentTemplate: "{{{{ body }}}}"
    uriTemplate: "https://docs.example.com/{{{{ id }}}}"
    metadataFields: [department]
  output:
    bucket: file://{artifacts}
    prefix: bench-sync
    format: ndjson
  gemini:
    projectId: bench-project
    location: global
    dataStoreId: bench-sync
  ingestion:
    enabled: false  # this benchmark measures the sync; delivery has its own (bench_deliver.py)
  reconciliation:
    deletePolicy: auto_delete_missing
"""


def _psql_copy(url: str, table: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            "psql",
            url,
            "-q",
            "-c",
            f"\\copy (SELECT id, title, body, department, updated_at FROM {table}) TO '/dev/null'",
        ],
        check=True,
    )
    return time.perf_counter() - started


def _mariadb_quick(url: str, table: str) -> float:
    """The MariaDB floor: the command-line client streaming the same query to /dev/null."""
    parts = urlsplit(url)
    command = [
        "mariadb", "--quick", "-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306),
        "-u", parts.username or "root", parts.path.lstrip("/") or "test",
        "-e", f"SELECT id, title, body, department, updated_at FROM {table}",
    ]  # fmt: skip
    env = dict(os.environ, MYSQL_PWD=parts.password or "")
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(command, check=True, stdout=sink, env=env)
    return time.perf_counter() - started


def _compile(folder: Path, table: str, provider: str) -> Path:
    connector = folder / "connectors" / "bench-sync.yaml"
    connector.parent.mkdir(parents=True)
    connector.write_text(CONNECTOR.format(table=table, provider=provider, artifacts=(folder / "artifacts").as_posix()))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compiler",
            "build",
            str(connector),
            "--out",
            str(folder / "plans"),
            "--root",
            str(folder),
        ],
        check=True,
        cwd=ROOT,
    )
    return folder / "plans" / "bench-sync.plan.json"


def _phase(plan: Path, state: Path, url: str) -> dict[str, Any]:
    """Run one sync in a child process; returns its report, wall seconds and peak RSS."""
    env = dict(os.environ, SECRET_BENCH_SYNC_DB=url)
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(plan), str(state)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"sync failed ({result.returncode}): {result.stderr.strip()}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _child(plan_path: str, state_dir: str) -> None:
    from runtime.planfile import load_plan
    from runtime.run import ExecOptions, execute

    plan = load_plan(Path(plan_path))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = execute(plan, ExecOptions(state_dir=Path(state_dir)))
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    result = {"seconds": seconds, "cpuSeconds": cpu, "peakRssMb": usage.ru_maxrss / 1024, "report": report.to_json()}
    print(json.dumps(result))


def _count(url: str, table: str, provider: str) -> int:
    import psycopg

    if provider == "mysql":
        try:
            conn = mysql_connect(url)
            with conn.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {table}")
                found = cursor.fetchone()
            conn.close()
        except Exception:  # no table yet (or no server): generate it
            return -1
        return int(found[0]) if found else -1
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    except psycopg.Error:
        return -1
    return int(row[0]) if row else -1


def _dlt(url: str, table: str) -> dict[str, Any] | None:
    """dlt's `sql_table` (pyarrow backend) loading the same table into DuckDB: bench_extract's child."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_extract", "--child", "dlt", "postgres", url, table],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print("note: dlt comparison skipped (dlt not installed? pip install -e '.[bench]')", file=sys.stderr)
        return None
    data = json.loads(done.stdout.strip().splitlines()[-1])
    rows = int(data["rows"])
    counts = {"new": rows, "changed": 0, "restored": 0, "deleted": 0, "extracted": rows}
    return {
        "seconds": data["seconds"],
        "cpuSeconds": float("nan"),
        "peakRssMb": data["peak_rss_mb"],
        "report": {"counts": counts},
    }


def _edit_one_percent(url: str, table: str, provider: str) -> int:
    import psycopg

    if provider == "mysql":
        conn = mysql_connect(url)
        with conn.cursor() as cursor:
            edited = cursor.execute(
                f"UPDATE {table} SET body = CONCAT(body, ' (edited)'), updated_at = updated_at + INTERVAL 1 DAY"
                " WHERE id % 100 = 0"
            )
        conn.close()
        return int(edited)

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(
            f"UPDATE {table} SET body = body || ' (edited)', updated_at = updated_at + interval '1 day'"
            " WHERE id % 100 = 0"
        )
        return cursor.rowcount


def _print(runs: dict[str, list[dict[str, Any]]], copies: list[float], edited: int, args: argparse.Namespace) -> None:
    copy = statistics.median(copies)
    server, floor = ("MariaDB", "mariadb --quick") if args.provider == "mysql" else ("PostgreSQL", "psql \\copy")
    print(f"\nruntime sync, {server}, {args.rows:,} rows (id, title, ~500-byte body, department, updated_at)")
    print(f"{floor} of the same query: median {copy:.2f} s of {len(copies)} ({', '.join(f'{c:.2f}' for c in copies)})")
    print(f"each phase: median of {max(1, args.repeat)} (seconds of every attempt in brackets)")
    print(
        f"{'phase':22} {'seconds':>8} {'x copy':>7} {'cpu s':>6} {'rows/s':>10} {'peak RSS':>9}  upserts/deletes  attempts"
    )
    medians: dict[str, float] = {}
    for label, attempts in runs.items():
        seconds = statistics.median(a["seconds"] for a in attempts)
        medians[label] = seconds
        cpu = statistics.median(a["cpuSeconds"] for a in attempts)
        peak = max(a["peakRssMb"] for a in attempts)
        counts = attempts[-1]["report"]["counts"]
        upserts = counts["new"] + counts["changed"] + counts["restored"]
        rate = counts["extracted"] / seconds if seconds else 0.0
        shown = ", ".join(f"{a['seconds']:.2f}" for a in attempts)
        print(
            f"{label:22} {seconds:8.2f} {seconds / copy:7.2f} {cpu:6.2f} {rate:10,.0f} {peak:7.0f}MB"
            f"  {upserts:,}/{counts['deleted']:,}  [{shown}]"
        )
    peak_all = max(a["peakRssMb"] for label, attempts in runs.items() if "dlt" not in label for a in attempts)
    print("\ntargets: unchanged <= 1.5 x copy, first sync <= 3 x copy, peak RSS < 600 MB (at 1M rows)")
    print(f"  unchanged  {medians['unchanged re-sync'] / copy:.2f} x copy")
    print(f"  first sync {medians['first sync'] / copy:.2f} x copy")
    print(f"  peak RSS   {peak_all:.0f} MB")
    changed_upserts = runs["1% change re-sync"][-1]["report"]["counts"]["changed"]
    print(f"  1% change  upserted {changed_upserts:,} documents for {edited:,} edited rows")
    if "dlt pyarrow -> DuckDB" in medians:
        faster = medians["dlt pyarrow -> DuckDB"] / medians["unchanged re-sync"]
        print(f"  unchanged re-sync is {faster:.1f} x faster than dlt pyarrow loading the same table (target >= 4 x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--provider", choices=["postgres", "mysql"], default="postgres")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--mysql-url", default=MYSQL_URL)
    parser.add_argument("--table", default=None, help="default: bench_sync_docs, with the row count unless 1M")
    parser.add_argument("--copy-runs", type=int, default=3, help="psql \\copy repetitions (median is used)")
    parser.add_argument("--reuse", action="store_true", help="keep the table if it already has --rows rows")
    parser.add_argument("--repeat", type=int, default=1, help="run every phase this many times (median shown)")
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt comparison (run when dlt is installed)")
    parser.add_argument("--child", nargs=2, metavar=("PLAN", "STATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    if args.table is None:  # small smoke runs must not replace the 1M-row table kept for --reuse
        args.table = "bench_sync_docs" if args.rows == 1_000_000 else f"bench_sync_docs_{args.rows}"
    mysql = args.provider == "mysql"
    url = args.mysql_url if mysql else args.pg_url
    if not (args.reuse and _count(url, args.table, args.provider) == args.rows):
        print(f"generating {args.rows:,} rows in {args.table} ...", file=sys.stderr)
        (create_mysql if mysql else create_pg)(url, args.rows, args.table)
    floor = _mariadb_quick if mysql else _psql_copy
    copies = [floor(url, args.table) for _ in range(max(1, args.copy_runs))]
    runs: dict[str, list[dict[str, Any]]] = {"first sync": [], "unchanged re-sync": [], "1% change re-sync": []}
    edited = 0
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as scratch:
        folder = Path(scratch)
        plan = _compile(folder, args.table, args.provider)
        for attempt in range(max(1, args.repeat)):
            state = folder / f"state-{attempt}"
            runs["first sync"].append(_phase(plan, state, url))
            runs["unchanged re-sync"].append(_phase(plan, state, url))
            edited = _edit_one_percent(url, args.table, args.provider)
            runs["1% change re-sync"].append(_phase(plan, state, url))
            shutil.rmtree(folder / "artifacts", ignore_errors=True)
            if not args.no_dlt and not mysql:
                dlt = _dlt(args.pg_url, args.table)
                if dlt is not None:
                    runs.setdefault("dlt pyarrow -> DuckDB", []).append(dlt)

    _print(runs, copies, edited, args)


if __name__ == "__main__":
    main()
