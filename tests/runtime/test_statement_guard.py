"""A plan cannot write to its source: a re-sealed plan with a hostile statement is refused before it is sent.

`planHash` is a content hash, so anyone who can edit a plan can re-seal it. These tests hand-craft such plans
and run them through the real CLI against the real servers, then look on the server for what the statement
tried to create. Below the runtime's statement check, the drivers refuse a second statement on their own
(psycopg's describe over the extended protocol, PyMySQL without multi-statement support); those layers are
tested directly too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from compiler.plan import dumps
from compiler.plan.providers import PROVIDERS
from runtime.errors import ConfigError, SourceError
from runtime.extract.mysql import MySqlExtractor
from runtime.extract.postgres import PostgresExtractor
from runtime.extract.statement import checked
from runtime.extract.urls import parse_target
from tests.runtime.extract.extract_helpers import make_source
from tests.runtime.planbuilder import make_plan

ROOT = Path(__file__).resolve().parents[2]


def _escape_postgres(table: str) -> str:
    """Balanced so that it survives being nested in `SELECT * FROM (...)` and `COPY (...)`: over the simple
    query protocol it is three statements around `COMMIT; CREATE TABLE`."""
    return f"SELECT 1 AS id) AS gs_q LIMIT 0; COMMIT; CREATE TABLE {table} (a int); SELECT * FROM (SELECT 1 AS id"


def _pg_table_exists(pg_conn: Any, table: str) -> bool:
    row = pg_conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    return bool(row[0])


def _mysql_table_exists(mysql_conn: Any, table: str) -> bool:
    with mysql_conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = %s", (table,))
        return bool(cursor.fetchone()[0])


def _exec_plan(
    tmp_path: Path, provider: str, driver: str, statement: str, url: str
) -> subprocess.CompletedProcess[str]:
    plan = make_plan((tmp_path / "out").as_uri(), provider=provider, driver=driver, snapshot=statement)  # type: ignore[arg-type]
    path = tmp_path / "plan.json"
    path.write_bytes(dumps(plan))  # sealed with a matching hash: only the runtime's own check stands in the way
    env = {**os.environ, "SECRET_DOCS_DB": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "runtime", "exec", str(path), "--state-dir", str(tmp_path / "state"), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def _assert_refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "plan refused: the " in lines[0]
    assert "statement was not sent" in lines[0]
    assert reason in lines[0]


@pytest.mark.postgres
def test_resealed_commit_and_create_is_refused_and_creates_nothing(tmp_path: Path, pg_conn: Any, pg_url: str) -> None:
    table = f"gs_pwn_{uuid.uuid4().hex[:8]}"
    result = _exec_plan(tmp_path, "postgres", "postgresql+psycopg", _escape_postgres(table), pg_url)
    assert not _pg_table_exists(pg_conn, table), result.stderr
    _assert_refused(result, "does not parse as postgres SQL")
    assert not (tmp_path / "out").exists()


@pytest.mark.postgres
def test_resealed_dblink_is_refused(tmp_path: Path, pg_conn: Any, pg_url: str) -> None:
    statement = "SELECT id, title FROM dblink('dbname=test', 'SELECT 1, ''x''') AS t(id int, title text)"
    result = _exec_plan(tmp_path, "postgres", "postgresql+psycopg", statement, pg_url)
    _assert_refused(result, "dblink() (a function that reaches outside the session")


@pytest.mark.mysql
def test_resealed_second_statement_is_refused_on_mariadb(tmp_path: Path, mysql_conn: Any, mysql_url: str) -> None:
    table = f"gs_pwn_{uuid.uuid4().hex[:8]}"
    statement = f"SELECT 1 AS id; SET SESSION TRANSACTION READ WRITE; CREATE TABLE {table} (a INT)"
    result = _exec_plan(tmp_path, "mysql", "mysql+pymysql", statement, mysql_url)
    assert not _mysql_table_exists(mysql_conn, table), result.stderr
    _assert_refused(result, "it holds 3 statements")


@pytest.mark.postgres
def test_postgres_describe_refuses_a_second_statement_on_its_own(pg_conn: Any, pg_url: str) -> None:
    """Without the runtime's check, the describe's extended protocol still stops the escape."""
    table = f"gs_pwn_{uuid.uuid4().hex[:8]}"
    extractor = PostgresExtractor(parse_target(make_source("postgres"), pg_url), 100)
    try:
        with pytest.raises(SourceError, match="cannot insert multiple commands into a prepared statement"):
            list(extractor.batches(_escape_postgres(table), {}))
    finally:
        extractor.close()
    assert not _pg_table_exists(pg_conn, table)


@pytest.mark.mysql
def test_pymysql_refuses_a_second_statement_on_its_own(mysql_conn: Any, mysql_url: str) -> None:
    """PyMySQL connects without CLIENT_MULTI_STATEMENTS, so the server parses one statement per query."""
    table = f"gs_pwn_{uuid.uuid4().hex[:8]}"
    extractor = MySqlExtractor(parse_target(make_source("mysql"), mysql_url), 100)
    try:
        with pytest.raises(SourceError, match="syntax"):
            list(extractor.batches(f"SELECT 1 AS id; CREATE TABLE {table} (a INT)", {}))
    finally:
        extractor.close()
    assert not _mysql_table_exists(mysql_conn, table)


WAYS_OUT = [
    ("postgres", "SELECT 1 AS id; COMMIT", "it holds 2 statements"),
    ("postgres", "SELECT lo_export(16400, '/tmp/x') AS id", "lo_export()"),
    ("postgres", "SELECT pg_read_file('/etc/passwd') AS id", "pg_read_file()"),
    ("postgres", "COPY (SELECT 1) TO PROGRAM 'id'", "a COPY statement, not a SELECT"),
    ("mysql", "SELECT LOAD_FILE('/etc/passwd') AS id", "load_file()"),
    ("mssql", "EXEC xp_cmdshell 'dir'", "not a SELECT"),
    ("mssql", "SELECT * FROM OPENQUERY(srv, 'SELECT 1') AS t", "openquery()"),
    ("oracle", "SELECT UTL_FILE.FOPEN('D', 'f', 'w') AS id FROM dual", "utl_file.fopen()"),
    ("duckdb", "SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
    ("duckdb", "COPY (SELECT 1) TO '/tmp/x.csv'", "not a SELECT"),
    ("sqlite", "SELECT writefile('/tmp/x', 'y') AS id", "writefile()"),
]


def test_every_provider_has_a_way_out_refused() -> None:
    assert {provider for provider, _, _ in WAYS_OUT} == set(PROVIDERS)


@pytest.mark.parametrize(("provider", "statement", "reason"), WAYS_OUT)
def test_statement_check_refuses_every_way_out(provider: str, statement: str, reason: str) -> None:
    with pytest.raises(ConfigError, match="plan refused") as caught:
        checked(statement, make_source(provider))
    assert reason in str(caught.value)


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_statement_check_passes_a_plain_select_with_its_trailing_semicolon(provider: str) -> None:
    statement = "SELECT id, title FROM docs WHERE updated_at >= :watermark;\n"
    assert checked(statement, make_source(provider)) == statement
