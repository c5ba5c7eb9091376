"""SQL lowering: snapshot and incremental statements per provider, from the case file `cases/sql_statements.yaml`.

Each case gives a query and the exact statements expected (or a fragment of the refusal message); add a case by
adding an entry to the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
import yaml
from plan_fixtures import connector, lowered

from compiler.lower import LoweringError
from compiler.lower.sql import DRIVERS
from compiler.plan import SqlSource
from compiler.plan.providers import PROVIDERS
from compiler.plan.read_only_sql import refusal

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "cases" / "sql_statements.yaml").read_text())


def _sql_connector(provider: str, query: str) -> dict[str, Any]:
    data = connector("sql_pull")
    data["spec"]["source"].update(type=provider, query=query)
    data["spec"]["reconciliation"]["deletePolicy"] = "never_delete"
    return data


def test_every_provider_has_a_statement_case() -> None:
    assert {case["provider"] for case in CASES} == set(PROVIDERS)


@pytest.mark.parametrize("case", CASES, ids=[c["title"] for c in CASES])
def test_sql_statements(case: dict[str, Any]) -> None:
    data = _sql_connector(case["provider"], case["query"])
    if "error" in case:
        with pytest.raises(LoweringError) as caught:
            lowered(data)
        assert case["error"] in caught.value.message
        assert caught.value.pointer == "/spec/source/query"
        return
    plan = lowered(data)
    assert isinstance(plan.source, SqlSource)
    assert plan.source.snapshot_statement == case["snapshot"]
    assert plan.source.incremental_statement == case["incremental"]
    assert ":watermark" not in plan.source.snapshot_statement
    expected_kind = "snapshot" if case["incremental"] is None else "incremental"
    assert plan.extraction.kind == expected_kind


# Written out, not read from the table: the lowering's output is checked against what each provider must get.
DRIVER_AND_DIALECT = [
    ("postgres", "postgresql+psycopg", "postgres"),
    ("mysql", "mysql+pymysql", "mysql"),
    ("mssql", "mssql+pyodbc", "tsql"),
    ("oracle", "oracle+oracledb", "oracle"),
    ("duckdb", "duckdb", "duckdb"),
    ("sqlite", "sqlite", "sqlite"),
]


@pytest.mark.parametrize(("provider", "driver", "dialect"), DRIVER_AND_DIALECT)
def test_driver_and_dialect_per_provider(provider: str, driver: str, dialect: str) -> None:
    plan = lowered(_sql_connector(provider, "SELECT id, title FROM docs WHERE updated_at > :watermark"))
    assert isinstance(plan.source, SqlSource)
    assert (plan.source.provider, plan.source.driver, plan.source.dialect) == (provider, driver, dialect)
    assert plan.source.incremental_statement == "SELECT id, title FROM docs WHERE updated_at > :watermark"


def test_every_provider_has_a_driver() -> None:
    assert [provider for provider, _, _ in DRIVER_AND_DIALECT] == list(PROVIDERS)
    assert set(DRIVERS) == set(PROVIDERS)


def test_bind_parameter_is_never_formatted_into_the_text() -> None:
    """The postgres generator would write `%(watermark)s`; plans always keep SQLAlchemy's `:watermark`."""
    plan = lowered(_sql_connector("postgres", "SELECT id FROM docs WHERE ts >= :watermark"))
    assert isinstance(plan.source, SqlSource)
    assert plan.source.incremental_statement is not None
    assert "%(" not in plan.source.incremental_statement
    assert "$watermark" not in plan.source.incremental_statement


def test_statements_run_with_sqlalchemy_text_binding() -> None:
    """The snapshot statement has no binds; the incremental one exactly `watermark` (on a real engine)."""
    plan = lowered(_sql_connector("sqlite", "SELECT id FROM docs WHERE ts >= :watermark ORDER BY id"))
    assert isinstance(plan.source, SqlSource)
    assert plan.source.incremental_statement is not None
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text("CREATE TABLE docs (id INTEGER, ts INTEGER)"))
        conn.execute(sqlalchemy.text("INSERT INTO docs VALUES (1, 5), (2, 10), (3, 15)"))
        snapshot = conn.execute(sqlalchemy.text(plan.source.snapshot_statement)).scalars().all()
        incremental = conn.execute(sqlalchemy.text(plan.source.incremental_statement), {"watermark": 10})
        assert snapshot == [1, 2, 3]
        assert incremental.scalars().all() == [2, 3]
    engine.dispose()


def test_columns_known_or_none_for_star() -> None:
    known = lowered(_sql_connector("postgres", "SELECT id, title AS name FROM docs"))
    star = lowered(_sql_connector("postgres", "SELECT * FROM docs"))
    assert isinstance(known.source, SqlSource)
    assert isinstance(star.source, SqlSource)
    assert known.source.columns == ("id", "name")
    assert star.source.columns is None


def test_unparseable_query_is_a_lowering_error() -> None:
    with pytest.raises(LoweringError, match="does not parse"):
        lowered(_sql_connector("postgres", "SELEC id FROM"))


def test_lowering_does_not_mutate_the_cached_analysis() -> None:
    """analyze_sql is cached; neutralising must work on a copy, so lowering twice gives the same statements."""
    data = _sql_connector("postgres", "SELECT id FROM docs WHERE ts >= :watermark AND k = 1")
    first, second = lowered(data), lowered(data)
    assert first == second
    assert isinstance(first.source, SqlSource)
    assert first.source.incremental_statement == "SELECT id FROM docs WHERE ts >= :watermark AND k = 1"


def test_lowering_error_is_reported_for_every_document() -> None:
    with pytest.raises(LoweringError):
        lowered(_sql_connector("mysql", "SELECT id FROM docs WHERE ts <= :watermark"))


REAL_QUERY = "SELECT id, title FROM plan_sql_docs WHERE updated_at > :watermark ORDER BY id"


def _run_real(conn: Any, provider: str, url: str) -> None:
    plan = lowered(_sql_connector(provider, REAL_QUERY))
    assert isinstance(plan.source, SqlSource)
    assert plan.source.incremental_statement is not None
    engine = sqlalchemy.create_engine(url.replace(url.split("://", maxsplit=1)[0], plan.source.driver, 1))
    try:
        with engine.connect() as sa:
            everything = sa.execute(sqlalchemy.text(plan.source.snapshot_statement)).all()
            changed = sa.execute(sqlalchemy.text(plan.source.incremental_statement), {"watermark": 10}).all()
    finally:
        engine.dispose()
    assert [row[0] for row in everything] == [1, 2, 3]
    assert [row[0] for row in changed] == [3]


@pytest.mark.postgres
def test_statements_run_on_real_postgres(pg_conn: Any, pg_url: str) -> None:
    pg_conn.execute("DROP TABLE IF EXISTS plan_sql_docs")
    pg_conn.execute("CREATE TABLE plan_sql_docs (id int, title text, updated_at int)")
    pg_conn.execute("INSERT INTO plan_sql_docs VALUES (1, 'a', 5), (2, 'b', 10), (3, 'c', 15)")
    _run_real(pg_conn, "postgres", pg_url)


@pytest.mark.mysql
def test_statements_run_on_real_mariadb(mysql_conn: Any, mysql_url: str) -> None:
    with mysql_conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS plan_sql_docs")
        cursor.execute("CREATE TABLE plan_sql_docs (id int, title text, updated_at int)")
        cursor.execute("INSERT INTO plan_sql_docs VALUES (1, 'a', 5), (2, 'b', 10), (3, 'c', 15)")
    _run_real(mysql_conn, "mysql", mysql_url)


@pytest.mark.parametrize("case", [c for c in CASES if "error" not in c], ids=lambda c: c["title"])
def test_lowered_statements_pass_the_runtime_statement_check(case: dict[str, Any]) -> None:
    """What the compiler writes, the runtime accepts: both sides apply `compiler.plan.read_only_sql`."""
    plan = lowered(_sql_connector(case["provider"], case["query"]))
    assert isinstance(plan.source, SqlSource)
    for statement in (plan.source.snapshot_statement, plan.source.incremental_statement):
        if statement is not None:
            assert refusal(statement, case["provider"]) is None, statement
