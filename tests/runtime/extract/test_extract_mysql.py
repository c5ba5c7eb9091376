"""MariaDB extraction (PyMySQL unbuffered -> Arrow) against the real server: types, streaming, binds, failures."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from urllib.parse import urlsplit

import pyarrow as pa
import pymysql
import pytest
from extract_helpers import CANARY, make_source, read_all
from sqlalchemy.engine import make_url

from runtime.errors import ConfigError, SourceError
from runtime.extract import CheckedExtractor, open_extractor
from runtime.extract.mysql import MySqlExtractor

pytestmark = pytest.mark.mysql

BIG_ROWS = 30_000


def _admin(url: str) -> pymysql.connections.Connection:  # type: ignore[type-arg]
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=parts.path.lstrip("/"),
        autocommit=True,
    )


@pytest.fixture(scope="module")
def my(mysql_url: str) -> str:
    """The scratch database with the tables these tests read."""
    conn = _admin(mysql_url)
    with conn.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE ex_types (
              id INT PRIMARY KEY, tiny TINYINT, big BIGINT, ubig BIGINT UNSIGNED, f4 FLOAT, f8 DOUBLE,
              price DECIMAL(12, 2), title VARCHAR(100), body TEXT, created DATE, at_time TIME,
              naive DATETIME(6), stamp TIMESTAMP(6) NULL, doc JSON, raw VARBINARY(10), kind ENUM('a', 'b'),
              yr YEAR
            ) CHARACTER SET utf8mb4
            """
        )
        cursor.execute(
            """
            INSERT INTO ex_types VALUES
              (1, -1, 9007199254740993, 18446744073709551615, 1.5, 2.25, 1234.50, 'plain', 'b', '2024-02-29',
               '838:59:59', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5', '{"k": [1, 2]}', x'0102', 'b',
               2024),
              (2, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
              (3, 0, 0, 0, 0, 0, -0.01, 'é日本 "q"', 'multi\\nline', '1999-12-31', '00:00:00',
               '1970-01-01 00:00:00', '1970-01-02 00:00:00', 'null', x'', 'a', 1999)
            """
        )
        cursor.execute(
            "CREATE TABLE ex_big (id BIGINT PRIMARY KEY, title VARCHAR(50), updated_at DATETIME(6), skey VARCHAR(10))"
        )
        cursor.execute(
            "INSERT INTO ex_big SELECT seq, CONCAT('title ', seq), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE,"
            f" CONCAT('k', LPAD(seq, 6, '0')) FROM seq_1_to_{BIG_ROWS}"
        )
        cursor.execute("DROP FUNCTION IF EXISTS boom_at")
        cursor.execute(
            "CREATE FUNCTION boom_at(n BIGINT, at BIGINT) RETURNS BIGINT DETERMINISTIC BEGIN "
            "IF n = at THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom at row'; END IF; RETURN n; END"
        )
    conn.close()
    return mysql_url


@pytest.fixture
def extractor(my: str) -> Iterator[CheckedExtractor]:
    opened = open_extractor(make_source("mysql", batch_size=10_000), my)
    assert isinstance(opened, CheckedExtractor)
    assert isinstance(opened.inner, MySqlExtractor)
    yield opened
    opened.close()


def test_types_and_values(extractor: CheckedExtractor) -> None:
    table = read_all(extractor, "SELECT * FROM ex_types ORDER BY id")
    schema = table.schema
    assert schema.field("tiny").type == pa.int64()
    assert schema.field("ubig").type == pa.uint64()
    assert schema.field("f4").type == pa.float32()
    assert schema.field("f8").type == pa.float64()
    assert schema.field("price").type == pa.decimal128(12, 2)
    assert schema.field("title").type == pa.string()
    assert schema.field("created").type == pa.date32()
    assert schema.field("naive").type == pa.timestamp("us")
    assert schema.field("stamp").type == pa.timestamp("us", tz="UTC")
    assert schema.field("raw").type == pa.binary()
    first, second, third = table.to_pylist()
    assert first["big"] == 9007199254740993
    assert first["ubig"] == 18446744073709551615
    assert first["price"] == decimal.Decimal("1234.50")
    assert first["created"] == dt.date(2024, 2, 29)
    assert first["at_time"] == "838:59:59"
    assert first["naive"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
    assert first["stamp"] == dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=dt.UTC)
    assert first["raw"] == b"\x01\x02"
    assert first["kind"] == "b"
    assert first["yr"] == 2024
    assert second["title"] == ""
    assert second["body"] is None
    assert second["stamp"] is None
    assert third["title"] == 'é日本 "q"'
    assert third["body"] == "multi\nline"
    assert third["raw"] == b""


def test_streams_in_batches_of_about_batch_size(extractor: CheckedExtractor) -> None:
    sizes = [batch.num_rows for batch in extractor.batches("SELECT * FROM ex_big", {})]
    assert len(sizes) == 3
    assert sum(sizes) == BIG_ROWS


def test_watermark_int(extractor: CheckedExtractor) -> None:
    table = read_all(extractor, "SELECT id FROM ex_big WHERE id >= :watermark", {"watermark": BIG_ROWS - 2})
    assert sorted(table.column("id").to_pylist()) == [BIG_ROWS - 2, BIG_ROWS - 1, BIG_ROWS]


@pytest.mark.parametrize("aware", [True, False])
def test_watermark_timestamp(extractor: CheckedExtractor, aware: bool) -> None:
    since = dt.datetime(2024, 1, 1) + dt.timedelta(minutes=BIG_ROWS - 1)
    value = since.replace(tzinfo=dt.UTC) if aware else since
    table = read_all(extractor, "SELECT id FROM ex_big WHERE updated_at >= :watermark", {"watermark": value})
    assert sorted(table.column("id").to_pylist()) == [BIG_ROWS - 1, BIG_ROWS]


def test_watermark_string_is_bound_not_formatted(extractor: CheckedExtractor) -> None:
    table = read_all(extractor, "SELECT skey FROM ex_big WHERE skey > :watermark", {"watermark": "k029998"})
    assert sorted(table.column("skey").to_pylist()) == ["k029999", "k030000"]
    hostile = read_all(
        extractor, "SELECT COUNT(*) AS n FROM ex_big WHERE skey = :watermark", {"watermark": "x' OR '1'='1"}
    )
    assert hostile.column("n").to_pylist() == [0]


def test_percent_literal_survives_binding(extractor: CheckedExtractor) -> None:
    with_bind = read_all(
        extractor, "SELECT title LIKE 'title 1%' AS ok FROM ex_big WHERE id = :watermark", {"watermark": 1}
    )
    assert with_bind.column("ok").to_pylist() == [1]
    without = read_all(extractor, "SELECT COUNT(*) AS n FROM ex_big WHERE title LIKE 'title 3000%'")
    assert without.column("n").to_pylist() == [2]


def test_empty_result_yields_one_empty_batch_with_schema(extractor: CheckedExtractor) -> None:
    batches = list(extractor.batches("SELECT id, updated_at FROM ex_big WHERE id > :watermark", {"watermark": 10**9}))
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].schema.field("updated_at").type == pa.timestamp("us")


def test_error_after_n_rows_is_a_source_error(extractor: CheckedExtractor) -> None:
    received: list[int] = []
    stream = extractor.batches("SELECT id, boom_at(id, 25000) AS b FROM ex_big ORDER BY id", {})
    with pytest.raises(SourceError, match=r"while streaming rows.*boom at row"):
        received.extend(batch.num_rows for batch in stream)
    assert 0 < sum(received) < BIG_ROWS
    assert read_all(extractor, "SELECT COUNT(*) AS n FROM ex_big").column("n").to_pylist() == [BIG_ROWS]


def test_killed_connection_mid_stream_is_a_source_error(my: str, extractor: CheckedExtractor) -> None:
    thread_id = extractor.inner.conn.thread_id()
    stream = extractor.batches("SELECT a.id, b.seq FROM ex_big a CROSS JOIN seq_1_to_20 b", {})
    assert next(stream).num_rows > 0
    admin = _admin(my)
    with admin.cursor() as cursor:
        cursor.execute(f"KILL {int(thread_id)}")
    admin.close()
    with pytest.raises(SourceError, match="while streaming rows"):
        list(stream)


def test_abandoned_stream_leaves_the_extractor_usable(extractor: CheckedExtractor) -> None:
    stream = extractor.batches("SELECT a.id FROM ex_big a CROSS JOIN seq_1_to_20 b", {})
    assert next(stream).num_rows > 0
    stream.close()  # type: ignore[attr-defined]
    assert read_all(extractor, "SELECT 1 AS one").column("one").to_pylist() == [1]


def test_bad_statement_and_missing_bind(extractor: CheckedExtractor) -> None:
    with pytest.raises(SourceError, match=r"the statement failed.*no_such_table"):
        list(extractor.batches("SELECT * FROM no_such_table", {}))
    with pytest.raises(SourceError, match=":watermark but no value"):
        list(extractor.batches("SELECT id FROM ex_big WHERE id > :watermark", {}))


def test_canary_password_never_in_errors(my: str) -> None:
    url = make_url(my).set(password=CANARY).render_as_string(hide_password=False)
    with pytest.raises(SourceError) as caught:
        open_extractor(make_source("mysql"), url)
    message = str(caught.value)
    assert CANARY not in message
    assert "Access denied" in message
    assert ":***@" in message


def test_close_while_streaming(my: str) -> None:
    extractor = open_extractor(make_source("mysql", batch_size=1000), my)
    stream = extractor.batches("SELECT a.id FROM ex_big a CROSS JOIN seq_1_to_20 b", {})
    assert next(stream).num_rows == 1000
    extractor.close()
    with pytest.raises(StopIteration):
        next(stream)


def test_session_is_read_only(my: str, extractor: CheckedExtractor) -> None:
    with pytest.raises(ConfigError, match="an INSERT statement, not a SELECT"):
        list(extractor.batches("INSERT INTO ex_big (id) VALUES (0)", {}))
    # Below the statement check, the session itself refuses to write.
    with pytest.raises(SourceError, match="READ ONLY"):
        list(extractor.inner.batches("INSERT INTO ex_big (id) VALUES (0)", {}))
    assert read_all(extractor, "SELECT COUNT(*) AS n FROM ex_big").column("n").to_pylist() == [BIG_ROWS]


def test_long_values_use_every_length_encoding(my: str, extractor: CheckedExtractor) -> None:
    conn = _admin(my)
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE ex_long (id INT PRIMARY KEY, a MEDIUMTEXT, b TEXT, c VARCHAR(10))")
        cursor.execute("INSERT INTO ex_long VALUES (1, REPEAT('x', 70000), REPEAT('é', 300), NULL), (2, '', NULL, 'z')")
    conn.close()
    rows = read_all(extractor, "SELECT * FROM ex_long ORDER BY id").to_pylist()
    assert rows[0] == {"id": 1, "a": "x" * 70000, "b": "é" * 300, "c": None}
    assert rows[1] == {"id": 2, "a": "", "b": None, "c": "z"}


def test_url_parameters_are_checked(my: str) -> None:
    with pytest.raises(SourceError, match=r"unsupported URL parameter 'sslmode'.*ssl_ca"):
        open_extractor(make_source("mysql"), my + "?sslmode=require")
    extractor = open_extractor(make_source("mysql"), my + "?charset=utf8mb4")
    try:
        assert read_all(extractor, "SELECT 'é' AS e").column("e").to_pylist() == ["é"]
    finally:
        extractor.close()
