"""Connector test harness benchmark: the cost of one two-run `sql_pull` case in a warm process.

    python bench/bench_harness.py [--cases 20] [--rows 3]

A temporary repository holds a PostgreSQL connector and a two-run case (first sync, then one row edited and one
removed). The connector is compiled once; then, in this process:
  harness   `runtime.harness.runner.run_case`: load the given tables into DuckDB, translate the query with
            sqlglot, and run both runs through the real engine (staging, diff, artifacts, state commit)
  floor     the same two runs of the same plan through `runtime.run.execute` alone, reading the rows from an
            embedded DuckDB file (no case file, no translation, no result reading): what any run costs
Each is timed `--cases` times after a warm-up; medians are shown with their ratio. It also runs the repository's
example cases (`runtime test`) and reports each one's cost. Target (issue 12): a two-run SQL case <= 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from runtime.harness.case import find_cases, load_case  # noqa: E402 - needs the repository root on sys.path
from runtime.harness.runner import compile_plans, connector_names, run_case, run_cases  # noqa: E402
from runtime.planfile import load_plan  # noqa: E402
from runtime.run import ExecOptions, execute  # noqa: E402

CONNECTOR = """\
apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata:
  name: bench-case
spec:
  mode: sql_pull
  schedule: "0 * * * *"
  source:
    type: {provider}
    secretRef: bench-db
    query: SELECT id, title, body, team, readers, updated_at FROM docs
    watermarkField: updated_at
  mapping:
    idField: id
    titleField: title
    contentTemplate: "{{{{ title }}}}: {{{{ body }}}}"
    uriTemplate: "https://docs.example.com/{{{{ id }}}}"
    aclUsersField: readers
    metadataFields: [team]
  output:
    bucket: file://{bucket}
  gemini:
    projectId: bench-project
    location: global
    dataStoreId: bench-ds
  ingestion:
    enabled: false
  reconciliation:
    deletePolicy: auto_delete_missing
"""


def row(i: int, edited: bool = False) -> str:
    body = "edited" if edited else f"body {i}"
    return f"{{id: {i}, title: Doc {i}, body: {body}, team: t{i % 3}, readers: [u{i}@example.com], updated_at: 2024-01-01}}"


def case_text(rows: int) -> str:
    first = "\n".join(f"          - {row(i)}" for i in range(1, rows + 1))
    second = "\n".join(f"          - {row(i, edited=i == 1)}" for i in range(1, rows))
    return (
        "connector: bench-case\nruns:\n"
        f"  - given:\n      tables:\n        docs:\n{first}\n    expect:\n      fields: subset\n      deleted: []\n"
        f"  - given:\n      tables:\n        docs:\n{second}\n    expect:\n      fields: subset\n"
        f"      upserted: [{{id: '1', content: 'Doc 1: edited'}}]\n      deleted: ['{rows}']\n"
    )


def floor_runs(plan_path: Path, folder: Path, rows: int) -> float:
    """Both runs through the engine alone, from an embedded DuckDB file."""
    database = folder / "source.duckdb"
    database.unlink(missing_ok=True)
    plan = load_plan(plan_path)
    state = Path(tempfile.mkdtemp(dir=folder))
    started = time.perf_counter()
    for run in (1, 2):
        with duckdb.connect(str(database)) as con:
            con.execute(
                "CREATE OR REPLACE TABLE docs (id INT, title TEXT, body TEXT, team TEXT, readers TEXT[], updated_at DATE)"
            )
            for i in range(1, rows + (1 if run == 1 else 0)):
                body = "edited" if run == 2 and i == 1 else f"body {i}"
                con.execute(
                    "INSERT INTO docs VALUES (?, ?, ?, ?, ?, '2024-01-01')",
                    [i, f"Doc {i}", body, f"t{i % 3}", [f"u{i}@example.com"]],
                )
        execute(
            plan, ExecOptions(state_dir=state, memory_limit_mb=512), resolve_secret=lambda _s: f"duckdb:///{database}"
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20, help="timed repetitions of each (median shown)")
    parser.add_argument("--rows", type=int, default=3, help="rows in the case's table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-harness-") as tmp:
        folder = Path(tmp)
        for provider, name in (("postgres", "case"), ("duckdb", "floor")):
            (folder / name / "connectors").mkdir(parents=True)
            text = CONNECTOR.format(provider=provider, bucket=folder / name / "bucket")
            (folder / name / "connectors" / "bench-case.yaml").write_text(text)
        repo = folder / "case"
        case_path = repo / "tests" / "connectors" / "bench-case" / "two-runs.yaml"
        case_path.parent.mkdir(parents=True)
        case_path.write_text(case_text(args.rows))
        for name in ("case", "floor"):
            connector = folder / name / "connectors" / "bench-case.yaml"
            errors = compile_plans(folder / name, [connector], folder / name / "plans")
            if errors:
                sys.exit(f"bench-case does not compile ({name}): {errors}")
        plan = load_plan(repo / "plans" / "bench-case.plan.json", repo)
        case = load_case(case_path)
        harness: list[float] = []
        floor: list[float] = []
        for i in range(args.cases + 1):  # the first of each is the warm-up
            started = time.perf_counter()
            result = run_case(case, plan, repo)
            elapsed = time.perf_counter() - started
            if not result.passed:
                sys.exit(f"the benchmark case failed: {result.error or result.runs}")
            floor_seconds = floor_runs(folder / "floor" / "plans" / "bench-case.plan.json", folder, args.rows)
            if i:
                harness.append(elapsed)
                floor.append(floor_seconds)
        examples = list(run_cases([load_case(p) for p in find_cases([], ROOT)], ROOT)) if connector_names(ROOT) else []
    h, f = statistics.median(harness), statistics.median(floor)
    print("## Connector test harness")
    print(f"two-run sql_pull case, {args.rows} rows, warm process, median of {args.cases}")
    print(f"  harness case        {h:.3f} s  (target <= 0.3 s)")
    print(f"  engine alone        {f:.3f} s  (the same two runs from an embedded DuckDB file)")
    print(f"  ratio               {h / f:.2f} x engine alone")
    if examples:
        print(f"example cases ({len(examples)}, `runtime test` in this repository)")
        for result in examples:
            runs = len(result.case.runs)
            status = "pass" if result.passed else "FAIL"
            print(f"  {result.case.name:<40} {runs} runs  {result.seconds:.3f} s  {status}")


if __name__ == "__main__":
    main()
