"""sql_pull cases: the connector's own query, translated from its dialect, over the case's DuckDB tables."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from compiler.plan import Plan
from runtime.errors import ConfigError
from runtime.harness.case import load_case
from runtime.harness.given.sql import translate
from runtime.harness.runner import CaseResult, compile_plans, run_case
from runtime.planfile import load_plan
from tests.harness.repo import ROW1, ROW2, ROW2_EDITED, write_case, write_connector

CONNECTORS = {
    "pg": {
        "provider": "postgres",
        "query": '"SELECT id, title, body, readers, team, updated_at::timestamp AS updated_at FROM app.docs"',
    },
    "my": {
        "provider": "mysql",
        "query": "\"SELECT `id`, title, IFNULL(body, 'none') AS body, readers, team, updated_at FROM docs\"",
    },
    "ms": {
        "provider": "mssql",
        "query": "\"SELECT TOP 100 id, title, ISNULL(body, 'none') AS body, readers, team, updated_at FROM dbo.docs\"",
    },
    "ora": {
        "provider": "oracle",
        "query": "\"SELECT id, title, NVL(body, 'none') AS body, readers, team, updated_at FROM docs\"",
    },
    "inc": {
        "provider": "postgres",
        "query": '"SELECT id, title, body, readers, team, updated_at FROM docs WHERE updated_at > :watermark"',
        "policy": "soft_delete_only",
        "watermark": "updated_at",
    },
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Plan]]:
    root = tmp_path_factory.mktemp("repo")
    files = [write_connector(root, name, **options) for name, options in CONNECTORS.items()]  # type: ignore[arg-type]
    out = root / "plans"
    assert compile_plans(root, files, out) == ""
    return root, {name: load_plan(out / f"{name}.plan.json", root) for name in CONNECTORS}


def run(repo: tuple[Path, dict[str, Plan]], connector: str, text: str) -> CaseResult:
    root, plans = repo
    path = write_case(root, text, connector=connector)
    return run_case(load_case(path), plans[connector], root)


def problems(result: CaseResult) -> list[str]:
    if result.error:
        return [result.error]
    return [f"{r.run.index + 1}: {d.where}: {d.expected} != {d.actual}" for r in result.runs for d in r.differences]


@pytest.mark.parametrize("connector", ["pg", "my", "ms", "ora"])
def test_each_dialect_runs_on_duckdb(repo: tuple[Path, dict[str, Plan]], connector: str) -> None:
    table = {"pg": "app.docs", "ms": "dbo.docs"}.get(connector, "docs")
    result = run(
        repo,
        connector,
        f"""\
        connector: {connector}
        runs:
          - given:
              tables:
                {table}:
                  - {ROW1}
                  - {ROW2.replace("body: second", "body: null")}
            expect:
              fields: subset
              upserted:
                - {{id: '1', content: 'Alpha: first'}}
                - {{id: '2', content: '{"Beta: " if connector == "pg" else "Beta: none"}'}}
        """,
    )
    assert problems(result) == []


def test_a_wrong_expectation_is_caught(repo: tuple[Path, dict[str, Plan]]) -> None:
    text = f"""\
        connector: my
        runs:
          - given: {{tables: {{docs: [{ROW1}]}}}}
            expect: {{upserted: [{{id: '1', title: Alpha}}], fields: subset, watermark: '2030-01-01'}}
        """
    assert problems(run(repo, "my", text)) == ['1: watermark: "2030-01-01" != null']


def test_incremental_binds_the_committed_watermark(repo: tuple[Path, dict[str, Plan]]) -> None:
    """Run 2 reads only rows after run 1's watermark: the unchanged row is not re-read, and an absent row is
    not deleted (absence proves nothing in an incremental read)."""
    result = run(
        repo,
        "inc",
        f"""\
        connector: inc
        tables:
          docs: {{id: INTEGER, title: TEXT, body: TEXT, readers: "TEXT[]", team: TEXT, updated_at: TIMESTAMP}}
        runs:
          - given: {{tables: {{docs: [{ROW1}, {ROW2}]}}}}
            expect:
              fields: subset
              upserted: [{{id: '1'}}, {{id: '2'}}]
              watermark: '2024-01-02 10:00:00'
          - given: {{tables: {{docs: [{ROW2_EDITED}]}}}}
            expect:
              fields: subset
              upserted: [{{id: '2', content: 'Beta: edited'}}]
              deleted: []
              softDeleted: []
              watermark: '2024-01-05 10:00:00'
          - name: nothing newer than the watermark
            given: {{tables: {{docs: [{ROW1}]}}}}
            expect: {{upserted: [], softDeleted: [], watermark: '2024-01-05 10:00:00'}}
        """,
    )
    assert problems(result) == []


def test_the_delete_guard_holds(repo: tuple[Path, dict[str, Plan]]) -> None:
    rows = ", ".join(ROW1.replace("id: 1,", f"id: {i},") for i in range(1, 121))
    result = run(
        repo,
        "pg",
        f"""\
        connector: pg
        runs:
          - given: {{tables: {{app.docs: [{rows}]}}}}
            expect: {{deleted: []}}
          - given: {{tables: {{app.docs: [{ROW1}]}}}}
            expect: {{failure: delete guard}}
        """,
    )
    assert problems(result) == []


def test_empty_table_needs_declared_types(repo: tuple[Path, dict[str, Plan]]) -> None:
    result = run(repo, "my", "connector: my\nruns:\n  - given: {tables: {docs: []}}\n    expect: {upserted: []}\n")
    assert result.error is not None
    assert "no rows and no column types; declare its columns under `tables:`" in result.error


def test_a_query_on_a_missing_table_names_the_run(repo: tuple[Path, dict[str, Plan]]) -> None:
    result = run(
        repo, "my", f"connector: my\nruns:\n  - given: {{tables: {{other: [{ROW1}]}}}}\n    expect: {{upserted: []}}\n"
    )
    assert problems(result)[0].startswith("1: failure: the run succeeds != ")
    assert "run 1: the query failed on the case's tables" in problems(result)[0]


def test_untranslatable_sql_is_located() -> None:
    from compiler.plan import Secret, SqlSource

    source = SqlSource("sql", "postgres", "postgresql+psycopg", "postgres", Secret("s", "SECRET_S"), "", None, None, 10)
    with pytest.raises(ConfigError) as caught:
        translate(textwrap.dedent("SELECT id,\n  title FROM docs WHERE (id = "), source, "case.yaml: run 1")
    message = str(caught.value)
    assert message.startswith("case.yaml: run 1: the postgres query cannot be translated to DuckDB")
    assert "line 2, column" in message
