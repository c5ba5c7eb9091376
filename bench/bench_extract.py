"""SQL extraction benchmark: our extractors against the database CLIs and dlt, side by side in one run.

    python -m bench.bench_extract [--rows 1000000] [--repeat 3] [--only pg|mysql] [--write-docs]

Measured, each in its own process so peak RSS is per contender (median of --repeat runs):
  PostgreSQL  `psql \\copy (select * from docs) to /dev/null`      (the floor)
              ours: extraction only (batches discarded)
              ours: extraction into an in-memory DuckDB table, and into a DuckDB file
              dlt sql_table, pyarrow backend, into DuckDB           (if dlt is installed: pip install -e .[bench])
  MariaDB     `mariadb --quick -e 'select * from docs' > /dev/null` (the floor)
              ours: extraction only / into an in-memory DuckDB table
The `docs` table (bench/datasets.py) is created when missing or of another size. `--write-docs` replaces the
"## SQL extraction" section of docs/benchmarks.md with the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import datasets  # noqa: E402

HEADING = "## SQL extraction"
NOTES = [
    "How to read it: *extraction only* is `runtime.extract` streaming typed Arrow batches (about `batchSize` rows",
    "each) and dropping them: the cost the runtime adds before staging. The DuckDB rows copy every column of every",
    "row into DuckDB (`CREATE TABLE AS` over an Arrow stream); they bound what staging whole rows would cost, and",
    "show that writing ~570 MB of bodies into a DuckDB *file* costs several seconds by itself, so the engine",
    "stages what it needs (ids, hashes, changed documents) rather than whole rows. dlt stages whole rows too.",
    "",
    "Why PostgreSQL is fast: `COPY (query) TO STDOUT (FORMAT csv)`; libpq delivers one row per message, so a reader",
    "thread appends rows into row-aligned chunks (asking libpq directly, falling back to psycopg's wait only when",
    "nothing is buffered) while pyarrow's CSV reader parses the previous chunk with the GIL released; column types",
    "come from a `LIMIT 0` describe. MariaDB: PyMySQL's unbuffered cursor with its per-value converters switched",
    "off (values stay bytes) and one Arrow cast per column and batch. Figures move with the machine's load (other",
    "jobs shared these 2 cores); the ratios compare contenders run interleaved in the same run.",
    "",
    "Text or binary COPY (measured here): the server writes the table in 0.54 s as binary and 1.03 s as CSV",
    "(`COPY ... TO '/dev/null'`), but decoding binary rows in Python (psycopg's typed tuples) takes 2.4 s for",
    "1M rows, while pyarrow parses the CSV in about 0.4 s of CPU beside the reader; CSV wins end to end.",
    "",
    "Memory stays flat with table size (extraction only, measured 2026-11-25 with `--child ours-none` on a",
    "5,000,000-row copy of the table): PostgreSQL 360 MB at 5M rows against 373 MB at 1M, MariaDB 296 MB against",
    "295 MB; about 165 MB of that is the imported libraries (pyarrow, DuckDB, SQLAlchemy, drivers).",
    "",
]


@dataclass
class Figure:
    name: str
    seconds: float
    rows: int
    peak_rss_mb: float
    note: str = ""


# --- children: one contender per process ----------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _source(provider: str, statement: str) -> object:
    from compiler.plan import Secret, SqlSource

    driver = {"postgres": "postgresql+psycopg", "mysql": "mysql+pymysql"}[provider]
    return SqlSource(
        kind="sql",
        provider=provider,
        driver=driver,
        dialect=provider,
        secret=Secret("bench", "SECRET_BENCH"),  # type: ignore[arg-type]
        snapshot_statement=statement,
        incremental_statement=None,
        columns=None,
        batch_size=50_000,
    )


def child_ours(provider: str, url: str, table: str, stage: str) -> dict[str, float]:
    """Our extractor; `stage`: none (batches discarded), memory or file (a DuckDB table of every column)."""
    import duckdb
    import pyarrow as pa

    from runtime.extract import open_extractor

    statement = f"SELECT * FROM {table}"
    started = time.perf_counter()
    extractor = open_extractor(_source(provider, statement), url)  # type: ignore[arg-type]
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        batches = extractor.batches(statement, {})
        if stage == "none":
            for batch in batches:
                rows += batch.num_rows
        else:
            first = next(batches)
            chained = itertools.chain([first], batches)
            reader = pa.RecordBatchReader.from_batches(first.schema, chained)
            database = ":memory:" if stage == "memory" else str(Path(tmp) / "stage.duckdb")
            with duckdb.connect(database) as conn:
                conn.register("incoming", reader)
                conn.execute("CREATE TABLE stage AS SELECT * FROM incoming")
                rows = conn.execute("SELECT count(*) FROM stage").fetchone()[0]  # type: ignore[index]
        extractor.close()
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_rss_mb": _peak_rss_mb()}


def child_dlt(url: str, table: str) -> dict[str, float]:
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"  # no network from benchmarks
    import dlt
    from dlt.sources.sql_database import sql_table

    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        pipeline = dlt.pipeline(
            pipeline_name="bench_extract",
            pipelines_dir=str(Path(tmp) / "pipelines"),
            destination=dlt.destinations.duckdb(str(Path(tmp) / "dlt.duckdb")),
            dataset_name="bench",
        )
        pipeline.run(
            sql_table(credentials=sa_url, table=table, backend="pyarrow", chunk_size=50_000),
            write_disposition="replace",
        )
        seconds = time.perf_counter() - started
        rows = pipeline.last_trace.last_normalize_info.row_counts.get(table, 0)  # type: ignore[union-attr]
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": _peak_rss_mb()}


# --- parent -------------------------------------------------------------------------------------------------


def _run_child(args: list[str]) -> dict[str, float] | None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_extract", "--child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"  ! child {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _run_cli(command: str, env: dict[str, str] | None = None) -> dict[str, float]:
    started = time.perf_counter()
    process = subprocess.Popen(command, shell=True, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"command failed ({process.returncode}): {command}")
    return {"seconds": seconds, "rows": -1, "peak_rss_mb": usage.ru_maxrss / 1024}


def _median(name: str, runs: list[dict[str, float] | None], note: str = "") -> Figure | None:
    ok = [r for r in runs if r is not None]
    if not ok:
        return None
    return Figure(
        name, statistics.median(r["seconds"] for r in ok), int(ok[0]["rows"]), max(r["peak_rss_mb"] for r in ok), note
    )


def _pg_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    password = urlsplit(url).password
    if password:
        env["PGPASSWORD"] = password
    return env


def _ensure_tables(args: argparse.Namespace) -> None:
    if args.only in (None, "pg"):
        with psycopg.connect(args.pg_url) as conn:
            found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (args.table,)).fetchone()
            count = conn.execute(f"SELECT count(*) FROM {args.table}").fetchone() if found and found[0] else None
        if not count or count[0] != args.rows:
            print(f"creating PostgreSQL {args.table} with {args.rows} rows ...", flush=True)
            datasets.create_pg(args.pg_url, args.rows, args.table)
    if args.only in (None, "mysql"):
        conn = datasets.mysql_connect(args.mysql_url)
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                    "AND table_name = %s",
                    (args.table,),
                )
                exists = cursor.fetchone()[0]  # type: ignore[index]
                count = None
                if exists:
                    cursor.execute(f"SELECT COUNT(*) FROM {args.table}")
                    count = cursor.fetchone()[0]  # type: ignore[index]
        finally:
            conn.close()
        if count != args.rows:
            print(f"creating MariaDB {args.table} with {args.rows} rows ...", flush=True)
            datasets.create_mysql(args.mysql_url, args.rows, args.table)


def measure(args: argparse.Namespace) -> list[tuple[str, list[Figure]]]:
    groups: list[tuple[str, list[Figure]]] = []
    table, repeat = args.table, args.repeat
    if args.only in (None, "pg"):
        copy_cmd = f"psql '{args.pg_url}' -q -c '\\copy (select * from {table}) to /dev/null'"
        runs: dict[str, list[dict[str, float] | None]] = {
            k: [] for k in ("psql", "ours", "ours+memory", "ours+file", "dlt")
        }
        have_dlt = (
            subprocess.run([sys.executable, "-c", "import dlt"], capture_output=True, check=False).returncode == 0
        )
        for _ in range(repeat):  # interleaved, so a noisy neighbour hurts every contender alike
            runs["psql"].append(_run_cli(copy_cmd, _pg_env(args.pg_url)))
            runs["ours"].append(_run_child(["ours-none", "postgres", args.pg_url, table]))
            runs["ours+memory"].append(_run_child(["ours-memory", "postgres", args.pg_url, table]))
            runs["ours+file"].append(_run_child(["ours-file", "postgres", args.pg_url, table]))
            if have_dlt:
                runs["dlt"].append(_run_child(["dlt", "postgres", args.pg_url, table]))
        figures = [
            _median(f"psql \\copy (select * from {table}) to /dev/null", runs["psql"]),
            _median("ours: COPY -> Arrow batches (extraction only)", runs["ours"]),
            _median("ours: COPY -> Arrow -> in-memory DuckDB table", runs["ours+memory"]),
            _median("ours: COPY -> Arrow -> DuckDB file table (all columns)", runs["ours+file"]),
            _median("dlt sql_table (pyarrow backend) -> DuckDB", runs["dlt"]) if have_dlt else None,
        ]
        if not have_dlt:
            print("note: dlt is not installed (pip install -e '.[bench]'); its row is skipped")
        groups.append(("PostgreSQL", [f for f in figures if f is not None]))
    if args.only in (None, "mysql"):
        url = urlsplit(args.mysql_url)
        cli = (
            f"mariadb -h {url.hostname} -P {url.port or 3306} -u {url.username or 'root'} --quick "
            f"-e 'select * from {table}' {url.path.lstrip('/')} > /dev/null"
        )
        env = dict(os.environ)
        if url.password:
            env["MYSQL_PWD"] = url.password
        runs = {k: [] for k in ("cli", "ours", "ours+memory")}
        for _ in range(repeat):
            runs["cli"].append(_run_cli(cli, env))
            runs["ours"].append(_run_child(["ours-none", "mysql", args.mysql_url, table]))
            runs["ours+memory"].append(_run_child(["ours-memory", "mysql", args.mysql_url, table]))
        figures = [
            _median(f"mariadb --quick -e 'select * from {table}' > /dev/null", runs["cli"]),
            _median("ours: PyMySQL unbuffered -> Arrow batches (extraction only)", runs["ours"]),
            _median("ours: PyMySQL unbuffered -> Arrow -> in-memory DuckDB table", runs["ours+memory"]),
        ]
        groups.append(("MariaDB", [f for f in figures if f is not None]))
    return groups


def render(groups: list[tuple[str, list[Figure]]], args: argparse.Namespace) -> str:
    lines = [
        HEADING,
        "",
        f"`python -m bench.bench_extract --rows {args.rows} --repeat {args.repeat}`: table `{args.table}` (id, title, "
        f"~500-byte body, department, updated_at), {args.rows:,} rows; median of {args.repeat} interleaved runs, "
        f"each contender in its own process; {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Ratios are against the database's own CLI in the same run. "
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())}, load average {os.getloadavg()[0]:.1f} at the end "
        "(other jobs share the machine).",
        "",
    ]
    for title, figures in groups:
        floor = figures[0].seconds if figures else 1.0
        lines += [f"### {title}", "", "| what | seconds | rows/s | × CLI | peak RSS MB |", "|---|---:|---:|---:|---:|"]
        for f in figures:
            rows = args.rows if f.rows < 0 else f.rows
            lines.append(
                f"| {f.name} | {f.seconds:.2f} | {rows / f.seconds:,.0f} | {f.seconds / floor:.2f} "
                f"| {f.peak_rss_mb:.0f} |"
            )
        lines.append("")
    lines += NOTES
    return "\n".join(lines)


def write_docs(section: str) -> Path:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    start = text.find(HEADING + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section.rstrip("\n") + "\n" + (text[end:] if end >= 0 else "")
    path.write_text(text)
    return path


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, provider, url, table = sys.argv[2:6]
        if kind == "dlt":
            result = child_dlt(url, table)
        else:
            result = child_ours(provider, url, table, stage=kind.removeprefix("ours-"))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--table", default=None, help="default: docs at 1M rows, docs_<rows> otherwise")
    parser.add_argument("--pg-url", default=datasets.PG_URL)
    parser.add_argument("--mysql-url", default=datasets.MYSQL_URL)
    parser.add_argument("--only", choices=["pg", "mysql"], default=None)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    # A smoke run at a small size must not replace the 1M-row table that the real runs reuse.
    args.table = args.table or ("docs" if args.rows == 1_000_000 else f"docs_{args.rows}")
    _ensure_tables(args)
    section = render(measure(args), args)
    print(section)
    if args.write_docs:
        print(f"wrote {write_docs(section)}")


if __name__ == "__main__":
    main()
