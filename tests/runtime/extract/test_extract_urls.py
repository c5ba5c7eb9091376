"""Connection URLs, driver selection, bind compilation and clean connection failures (no server needed)."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time

import pytest
from extract_helpers import CANARY, make_source
from sqlalchemy import create_engine
from sqlalchemy.dialects.postgresql import psycopg as sa_psycopg
from sqlalchemy.engine import make_url

from runtime.errors import SourceError
from runtime.extract import generic, open_extractor
from runtime.extract.binds import bind, dollar_dialect
from runtime.extract.generic import MSSQL_ODBC_DRIVERS, connect_args, with_odbc_driver
from runtime.extract.urls import parse_target, scrub

STATEMENT = "SELECT a::text, b FROM t WHERE c LIKE 'x%' AND u >= :watermark AND v = '10:30'"


@pytest.mark.parametrize(
    ("provider", "url", "drivername"),
    [
        ("postgres", "postgresql://u:p@h:5432/db", "postgresql+psycopg"),
        ("postgres", "postgres://u:p@h/db", "postgresql+psycopg"),
        ("postgres", "postgresql+psycopg2://u:p@h/db", "postgresql+psycopg2"),
        ("mysql", "mysql://u:p@h:3306/db", "mysql+pymysql"),
        ("mysql", "mariadb://u:p@h/db", "mysql+pymysql"),
        ("mysql", "mysql+mysqldb://u:p@h/db", "mysql+mysqldb"),
        ("mssql", "mssql://u:p@h:1433/db", "mssql+pyodbc"),
        ("mssql", "mssql+pymssql://u:p@h/db", "mssql+pymssql"),
        ("oracle", "oracle://u:p@h:1521/?service_name=XE", "oracle+oracledb"),
        ("duckdb", "duckdb:///tmp/x.duckdb", "duckdb"),
        ("sqlite", "sqlite:////abs/x.db", "sqlite"),
    ],
)
def test_plan_driver_applies_only_when_the_url_names_none(provider: str, url: str, drivername: str) -> None:
    target = parse_target(make_source(provider), url)
    assert target.url.drivername == drivername
    assert target.url.password in (None, "p")


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("postgres", f"mysql://u:{CANARY}@h/db"),
        ("mysql", f"postgresql://u:{CANARY}@h/db"),
        ("oracle", f"mssql://u:{CANARY}@h/db"),
        ("duckdb", f"sqlite:///{CANARY}.db"),
    ],
)
def test_scheme_must_match_provider(provider: str, url: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_target(make_source(provider), url)
    message = str(caught.value)
    assert "does not match the provider" in message
    assert "SECRET_TEST_DB" in message
    if "@" in url:
        assert CANARY not in message
        assert "***" in message


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://admin:{CANARY}@db.example.com:notaport/prod",
        f"postgresql://admin:{CANARY}@db.example.com:99999999999/prod",
        f"::::{CANARY}",
        f"postgresql://admin:{CANARY}@[::1/prod",
    ],
)
def test_malformed_url_never_echoes_its_password(url: str) -> None:
    with pytest.raises(SourceError) as caught:
        open_extractor(make_source("postgres"), url)
    assert CANARY not in str(caught.value)
    assert "SECRET_TEST_DB" in str(caught.value)


def test_embedded_url_without_a_file() -> None:
    with pytest.raises(SourceError, match="names no file"):
        parse_target(make_source("duckdb"), "duckdb://")


def test_scrub_removes_raw_encoded_and_inline_credentials() -> None:
    password = "p@ss w/rd" + CANARY
    text = (
        f"failed for {password} and p%40ss%20w%2Frd{CANARY} and p%40ss+w%2Frd{CANARY} "
        f"in postgresql://bob:{CANARY}@host/db and mysql://x:a@b@c/d"
    )
    cleaned = scrub(text, password)
    assert CANARY not in cleaned
    assert "a@b" not in cleaned
    assert "postgresql://bob:***@host/db" in cleaned


def test_redacted_url_in_target_messages() -> None:
    target = parse_target(make_source("postgres"), f"postgresql://app:{CANARY}@10.0.0.1:5432/hr")
    error = target.error("cannot connect", RuntimeError(f"server said {CANARY}"), "check the host")
    assert CANARY not in str(error)
    assert "postgresql+psycopg://app:***@10.0.0.1:5432/hr" in str(error)
    assert "secret 'test-db' (SECRET_TEST_DB)" in str(error)
    assert "Fix: check the host" in str(error)


# --- bind compilation ---------------------------------------------------------------------------------------


def test_bind_postgres_pyformat_escapes_percent_and_keeps_casts() -> None:
    bound = bind(STATEMENT, {"watermark": 5}, sa_psycopg.dialect())
    assert bound.sql == "SELECT a::text, b FROM t WHERE c LIKE 'x%%' AND u >= %(watermark)s AND v = '10:30'"
    assert bound.params == {"watermark": 5}


def test_bind_mssql_qmark_and_oracle_named() -> None:
    pytest.importorskip("pyodbc", reason="pyodbc needs libodbc (apt-get install unixodbc)")
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    # The dialects as the engines configure them once their DB-API module is loaded.
    mssql_dialect = create_engine("mssql+pyodbc://u:p@h/db?driver=FreeTDS").dialect
    oracle_dialect = create_engine("oracle+oracledb://u:p@h:1521/?service_name=XE").dialect
    mssql = bind("SELECT id FROM t WHERE u >= :watermark AND w < :watermark", {"watermark": when}, mssql_dialect)
    assert mssql.sql == "SELECT id FROM t WHERE u >= ? AND w < ?"
    assert mssql.params == (when, when)
    oracle = bind("SELECT id FROM t WHERE u >= :watermark", {"watermark": when}, oracle_dialect)
    assert oracle.sql == "SELECT id FROM t WHERE u >= :watermark"
    assert oracle.params == {"watermark": when}


def test_bind_duckdb_dollar_positional() -> None:
    bound = bind("SELECT * FROM t WHERE u >= :watermark;", {"watermark": "x"}, dollar_dialect())
    assert bound.sql == "SELECT * FROM t WHERE u >= $1"
    assert bound.params == ("x",)


def test_bind_without_params_leaves_the_statement_alone() -> None:
    bound = bind("SELECT 'x%' AS p FROM t ;  ", {}, sa_psycopg.dialect())
    assert bound.sql == "SELECT 'x%' AS p FROM t"
    assert not bound.params


def test_bind_missing_value_is_reported() -> None:
    with pytest.raises(KeyError, match="watermark"):
        bind("SELECT * FROM t WHERE u >= :watermark", {}, sa_psycopg.dialect())


def test_statement_text_never_contains_bound_values() -> None:
    bound = bind("SELECT * FROM t WHERE name >= :watermark", {"watermark": "'; DROP TABLE t; --"}, sa_psycopg.dialect())
    assert "DROP" not in bound.sql


# --- driver selection ---------------------------------------------------------------------------------------


def test_mssql_odbc_driver_picked_by_preference() -> None:
    url = make_url("mssql+pyodbc://u:p@h:1433/db")
    chosen = with_odbc_driver(url, ["PostgreSQL Unicode", "FreeTDS", "ODBC Driver 18 for SQL Server"])
    assert chosen.query["driver"] == "ODBC Driver 18 for SQL Server"
    assert with_odbc_driver(url, ["FreeTDS"]).query["driver"] == "FreeTDS"
    named = make_url("mssql+pyodbc://u:p@h/db?driver=My+Driver")
    assert with_odbc_driver(named, ["FreeTDS"]).query["driver"] == "My Driver"
    dsn = make_url("mssql+pyodbc://u:p@my_dsn")
    assert "driver" not in with_odbc_driver(dsn, ["FreeTDS"]).query


def test_mssql_without_any_driver_says_what_to_install() -> None:
    with pytest.raises(SourceError, match="no SQL Server ODBC driver") as caught:
        with_odbc_driver(make_url("mssql+pyodbc://u:p@h/db"), ["PostgreSQL Unicode"])
    assert "tdsodbc" in str(caught.value)
    assert MSSQL_ODBC_DRIVERS[0] in caught.value.args[0] or "ODBC Driver 18" in str(caught.value)


def test_connect_timeouts_per_driver() -> None:
    assert connect_args("pyodbc") == {"timeout": 10}
    assert connect_args("oracledb") == {"tcp_connect_timeout": 10}
    assert connect_args("unknown") == {}


def test_unknown_driver_is_a_clean_error() -> None:
    with pytest.raises(SourceError, match="not available") as caught:
        open_extractor(make_source("postgres"), f"postgresql+nosuchdriver://u:{CANARY}@127.0.0.1/db")
    assert CANARY not in str(caught.value)


# --- connection failures --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("postgres", "postgresql://app:{pw}@127.0.0.1:{port}/db"),
        ("mysql", "mysql://app:{pw}@127.0.0.1:{port}/db"),
        ("oracle", "oracle://app:{pw}@127.0.0.1:{port}/?service_name=XE"),
        ("mssql", "mssql://app:{pw}@127.0.0.1:{port}/db?driver=FreeTDS"),
    ],
)
def test_closed_port_is_a_clean_source_error(provider: str, url: str, closed_port: int) -> None:
    if provider == "mssql":
        pytest.importorskip("pyodbc", reason="pyodbc needs libodbc (apt-get install unixodbc tdsodbc)")
    with pytest.raises(SourceError) as caught:
        open_extractor(make_source(provider), url.format(pw=CANARY, port=closed_port))
    message = str(caught.value)
    assert CANARY not in message
    assert "cannot connect" in message
    assert f"127.0.0.1:{closed_port}" in message
    assert "Traceback" not in message


def test_server_that_accepts_but_never_answers_hits_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    pyodbc = pytest.importorskip("pyodbc", reason="pyodbc needs libodbc (apt-get install unixodbc tdsodbc)")
    if "FreeTDS" not in pyodbc.drivers():
        pytest.skip("FreeTDS ODBC driver not installed (apt-get install tdsodbc)")
    monkeypatch.setattr(generic, "CONNECT_DEADLINE_SECONDS", 2)
    held: list[socket.socket] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]

    def accept_and_wait() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    acceptor = threading.Thread(target=accept_and_wait, daemon=True)
    acceptor.start()
    started = time.perf_counter()
    try:
        with pytest.raises(SourceError, match="no answer within 2 s") as caught:
            open_extractor(make_source("mssql"), f"mssql://sa:{CANARY}@127.0.0.1:{port}/master?driver=FreeTDS")
        assert time.perf_counter() - started < 10
        assert CANARY not in str(caught.value)
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(5)
        for connection in held:
            connection.close()
