"""The SQLAlchemy path (mssql/oracle and any other driver), run for real through pyodbc against MariaDB.

No SQL Server or Oracle server runs here. The same code path is exercised with `mysql+pyodbc` and Debian's
MariaDB ODBC driver against the local MariaDB; SQL Server and Oracle run when a DSN is given:
GEMINI_SYNC_TEST_MSSQL_DSN (e.g. mssql://sa:pw@host:1433/master) and GEMINI_SYNC_TEST_ORACLE_DSN
(e.g. oracle://system:pw@host:1521/?service_name=FREEPDB1).
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
from collections.abc import Iterator
from urllib.parse import quote

import pyarrow as pa
import pytest
from extract_helpers import CANARY, make_source, read_all
from sqlalchemy.engine import make_url

from runtime.errors import SourceError
from runtime.extract import CheckedExtractor, open_extractor
from runtime.extract.generic import SqlAlchemyExtractor

MARIADB_ODBC = "MariaDB Unicode"


def _odbc_or_fail() -> None:
    """pyodbc with the MariaDB driver; under CI=true a missing install fails (it is in .ci/apt-packages.txt)."""
    try:
        import pyodbc
    except ImportError as error:
        reason = f"pyodbc cannot load ({error}): apt-get install unixodbc odbc-mariadb"
    else:
        if MARIADB_ODBC in pyodbc.drivers():
            return
        reason = f"ODBC driver {MARIADB_ODBC!r} missing: apt-get install odbc-mariadb"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def odbc_url(mysql_url: str) -> str:
    _odbc_or_fail()
    import pymysql

    url = make_url(mysql_url)
    conn = pymysql.connect(
        host=url.host,
        port=url.port or 3306,
        user=url.username,
        password=url.password or "",
        database=url.database,
        autocommit=True,
    )
    with conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE gx_docs (id BIGINT PRIMARY KEY, title VARCHAR(50), price DECIMAL(8, 2), "
            "updated_at DATETIME(6), note TEXT)"
        )
        cursor.execute(
            "INSERT INTO gx_docs SELECT seq, CONCAT('t', seq), seq / 4, "
            "TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, IF(seq % 2 = 0, NULL, 'odd') FROM seq_1_to_2500"
        )
    conn.close()
    return (
        url.set(drivername="mysql+pyodbc")
        .update_query_dict({"driver": MARIADB_ODBC})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def extractor(odbc_url: str) -> Iterator[CheckedExtractor]:
    opened = open_extractor(make_source("mysql", batch_size=1000), odbc_url)
    assert isinstance(opened, CheckedExtractor)
    assert isinstance(opened.inner, SqlAlchemyExtractor)
    yield opened
    opened.close()


@pytest.mark.mysql
def test_pyodbc_path_types_batches_and_watermark(extractor: CheckedExtractor) -> None:
    since = dt.datetime(2024, 1, 1, 0, 0, 11)
    batches = list(
        extractor.batches("SELECT * FROM gx_docs WHERE updated_at >= :watermark ORDER BY id", {"watermark": since})
    )
    assert [b.num_rows for b in batches] == [1000, 1000, 490]
    table = pa.Table.from_batches(batches)
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("price").type == pa.decimal128(8, 2)
    assert table.schema.field("updated_at").type == pa.timestamp("us")
    assert table.schema.field("note").type == pa.string()
    first = table.slice(0, 2).to_pylist()
    assert first[0] == {"id": 11, "title": "t11", "price": decimal.Decimal("2.75"), "updated_at": since, "note": "odd"}
    assert first[1]["note"] is None


@pytest.mark.mysql
def test_pyodbc_path_errors(extractor: CheckedExtractor) -> None:
    with pytest.raises(SourceError, match=r"the statement failed.*no_such_table"):
        list(extractor.batches("SELECT * FROM no_such_table", {}))
    with pytest.raises(SourceError, match=":watermark but no value"):
        list(extractor.batches("SELECT * FROM gx_docs WHERE id > :watermark", {}))
    empty = list(extractor.batches("SELECT id FROM gx_docs WHERE id < 0", {}))
    assert [b.num_rows for b in empty] == [0]


@pytest.mark.mysql
def test_pyodbc_path_canary_password(odbc_url: str) -> None:
    url = make_url(odbc_url).set(password=CANARY).render_as_string(hide_password=False)
    with pytest.raises(SourceError) as caught:
        open_extractor(make_source("mysql"), url)
    assert CANARY not in str(caught.value)
    assert quote(CANARY) not in str(caught.value)
    assert "cannot connect" in str(caught.value)


# --- opt-in: real SQL Server / Oracle --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "env", "statement"),
    [
        (
            "mssql",
            "GEMINI_SYNC_TEST_MSSQL_DSN",
            "SELECT TOP 3 name, object_id, create_date FROM sys.objects WHERE object_id >= :watermark ORDER BY object_id",
        ),
        (
            "oracle",
            "GEMINI_SYNC_TEST_ORACLE_DSN",
            "SELECT level AS n, SYSTIMESTAMP AS at FROM dual WHERE level >= :watermark CONNECT BY level <= 3",
        ),
    ],
)
def test_real_server_when_dsn_given(provider: str, env: str, statement: str) -> None:
    dsn = os.environ.get(env)
    if not dsn:
        pytest.skip(f"set {env} to run against a real {provider} server")
    extractor = open_extractor(make_source(provider, batch_size=2), dsn)
    try:
        table = read_all(extractor, statement, {"watermark": 1})
        assert table.num_rows == 3, "each statement selects exactly three rows at or past watermark 1"
    finally:
        extractor.close()
