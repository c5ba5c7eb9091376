"""PostgreSQL extraction (COPY -> Arrow) against the real server: types, streaming, binds, failures, secrets."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import time
from collections.abc import Iterator

import psycopg
import pyarrow as pa
import pytest
from extract_helpers import CANARY, make_source, read_all
from sqlalchemy.engine import make_url

from runtime.errors import ConfigError, SourceError
from runtime.extract import CheckedExtractor, open_extractor
from runtime.extract.postgres import PostgresExtractor

pytestmark = pytest.mark.postgres

BIG_ROWS = 30_000


@pytest.fixture(scope="module")
def pg(pg_url: str) -> str:
    """The scratch database with the tables these tests read."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            """
            CREATE TABLE ex_types (
              id int PRIMARY KEY, small smallint, big bigint, f4 real, f8 double precision, flag boolean,
              price numeric(12, 2), loose numeric, title text, note varchar(20), created date, at_time time,
              naive timestamp, aware timestamptz, tags text[], nums int[], doc jsonb, uid uuid, raw bytea
            )
            """
        )
        conn.execute(
            """
            INSERT INTO ex_types VALUES
              (1, 1, 9007199254740993, 1.5, 2.25, true, 1234.50, 3.14159265358979323846, 'plain', 'v',
               '2024-02-29', '12:34:56.5', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02',
               '{a,"b, c","d\\"e"}', '{1,2,3}', '{"k": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x0102'),
              (2, NULL, NULL, 'NaN', '-Infinity', false, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL,
               '{}', NULL, NULL, NULL, NULL),
              (3, -1, -2, 0, 0, NULL, -0.01, 0, E'multi\\nline, "quoted"\\ttab', 'é日本', '1999-12-31', '00:00',
               '1970-01-01', '1970-01-01 00:00:00+00', '{NULL,x}', '{}', 'null', NULL, '\\x')
            """
        )
        conn.execute(
            "CREATE TABLE ex_big AS SELECT g AS id, 'title ' || g AS title, repeat('x', 200) AS body, "
            "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' AS updated_at, "
            f"'k' || lpad(g::text, 6, '0') AS skey FROM generate_series(1, {BIG_ROWS}) AS g"
        )
    return pg_url


@pytest.fixture
def extractor(pg: str) -> Iterator[CheckedExtractor]:
    opened = open_extractor(make_source("postgres", batch_size=10_000), pg)
    assert isinstance(opened, CheckedExtractor)
    assert isinstance(opened.inner, PostgresExtractor)
    yield opened
    opened.close()


def test_types_and_values(extractor: CheckedExtractor) -> None:
    table = read_all(extractor, "SELECT * FROM ex_types ORDER BY id")
    schema = table.schema
    assert schema.field("id").type == pa.int32()
    assert schema.field("small").type == pa.int16()
    assert schema.field("big").type == pa.int64()
    assert schema.field("f4").type == pa.float32()
    assert schema.field("f8").type == pa.float64()
    assert schema.field("flag").type == pa.bool_()
    assert schema.field("price").type == pa.decimal128(12, 2)
    assert schema.field("loose").type == pa.string()  # unbounded numeric keeps every digit
    assert schema.field("created").type == pa.date32()
    assert schema.field("at_time").type == pa.time64("us")
    assert schema.field("naive").type == pa.timestamp("us")
    assert schema.field("aware").type == pa.timestamp("us", tz="UTC")
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("nums").type == pa.list_(pa.int64())
    rows = table.to_pylist()
    first, second, third = rows
    assert first["big"] == 9007199254740993
    assert first["price"] == decimal.Decimal("1234.50")
    assert first["loose"] == "3.14159265358979323846"
    assert first["created"] == dt.date(2024, 2, 29)
    assert first["at_time"] == dt.time(12, 34, 56, 500000)
    assert first["naive"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
    assert first["aware"] == dt.datetime(2024, 1, 2, 1, 4, 5, tzinfo=dt.UTC)
    assert first["tags"] == ["a", "b, c", 'd"e']
    assert first["nums"] == [1, 2, 3]
    assert first["doc"] == '{"k": [1, 2]}'
    assert first["uid"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert first["raw"] == "\\x0102"
    # NULL and empty string stay distinct; NaN and infinities survive.
    assert second["title"] == ""
    assert second["note"] is None
    assert second["tags"] == []
    assert second["nums"] is None
    assert second["f4"] != second["f4"]  # NaN
    assert second["f8"] == float("-inf")
    assert second["flag"] is False
    assert third["title"] == 'multi\nline, "quoted"\ttab'
    assert third["note"] == "é日本"
    assert third["tags"] == [None, "x"]


def test_streams_in_batches_of_about_batch_size(extractor: CheckedExtractor) -> None:
    sizes = [batch.num_rows for batch in extractor.batches("SELECT * FROM ex_big", {})]
    assert len(sizes) >= 3
    assert sum(sizes) == BIG_ROWS
    assert max(sizes) <= 10_000


def test_watermark_int(extractor: CheckedExtractor) -> None:
    table = read_all(extractor, "SELECT id FROM ex_big WHERE id >= :watermark", {"watermark": BIG_ROWS - 4})
    assert sorted(table.column("id").to_pylist()) == list(range(BIG_ROWS - 4, BIG_ROWS + 1))


def test_watermark_timestamp(extractor: CheckedExtractor) -> None:
    since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=BIG_ROWS - 2)
    table = read_all(
        extractor, "SELECT id, updated_at FROM ex_big WHERE updated_at >= :watermark", {"watermark": since}
    )
    assert sorted(table.column("id").to_pylist()) == [BIG_ROWS - 2, BIG_ROWS - 1, BIG_ROWS]
    assert min(table.column("updated_at").to_pylist()) == since


def test_watermark_string_with_quotes_is_bound_not_formatted(extractor: CheckedExtractor) -> None:
    table = read_all(extractor, "SELECT skey FROM ex_big WHERE skey > :watermark", {"watermark": "k029998"})
    assert sorted(table.column("skey").to_pylist()) == ["k029999", "k030000"]
    hostile = read_all(
        extractor, "SELECT count(*) AS n FROM ex_big WHERE skey = :watermark", {"watermark": "x' OR '1'='1"}
    )
    assert hostile.column("n").to_pylist() == [0]


def test_percent_literal_and_cast_survive_binding(extractor: CheckedExtractor) -> None:
    table = read_all(
        extractor,
        "SELECT id::text AS sid, title LIKE 'title 1%' AS ok FROM ex_big WHERE id = :watermark",
        {"watermark": 1},
    )
    assert table.to_pylist() == [{"sid": "1", "ok": True}]


def test_empty_result_yields_one_empty_batch_with_schema(extractor: CheckedExtractor) -> None:
    batches = list(extractor.batches("SELECT id, updated_at FROM ex_big WHERE id > :watermark", {"watermark": 10**9}))
    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema.field("updated_at").type == pa.timestamp("us", tz="UTC")


def test_error_after_n_rows_is_a_source_error(extractor: CheckedExtractor) -> None:
    received: list[int] = []
    stream = extractor.batches("SELECT id, 1 / (id - 25000) AS boom FROM ex_big ORDER BY id", {})
    with pytest.raises(SourceError, match=r"while streaming rows.*division by zero"):
        received.extend(batch.num_rows for batch in stream)
    assert sum(received) < BIG_ROWS
    # The extractor stays usable after a failed statement.
    assert read_all(extractor, "SELECT count(*) AS n FROM ex_big").column("n").to_pylist() == [BIG_ROWS]


def test_killed_backend_mid_stream_is_a_source_error(pg: str, extractor: CheckedExtractor) -> None:
    pid = extractor.inner.conn.info.backend_pid
    stream = extractor.batches("SELECT a.id, b.n FROM ex_big a CROSS JOIN generate_series(1, 50) AS b(n)", {})
    first = next(stream)
    assert first.num_rows > 0

    def kill() -> None:
        with psycopg.connect(pg, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    killer = threading.Thread(target=kill)
    killer.start()
    killer.join()
    with pytest.raises(SourceError, match="while streaming rows"):
        list(stream)


def test_abandoned_stream_cancels_and_leaves_the_connection_usable(extractor: CheckedExtractor) -> None:
    stream = extractor.batches("SELECT a.id FROM ex_big a CROSS JOIN generate_series(1, 100) b", {})
    assert next(stream).num_rows > 0
    started = time.perf_counter()
    stream.close()  # type: ignore[attr-defined]
    assert time.perf_counter() - started < 5  # cancelled, not drained (3M rows)
    assert read_all(extractor, "SELECT 1 AS one").column("one").to_pylist() == [1]


def test_bad_statement_is_a_source_error(extractor: CheckedExtractor) -> None:
    with pytest.raises(SourceError, match=r"the statement failed.*no_such_table"):
        list(extractor.batches("SELECT * FROM no_such_table", {}))


def test_missing_bind_value(extractor: CheckedExtractor) -> None:
    with pytest.raises(SourceError, match=":watermark but no value"):
        list(extractor.batches("SELECT id FROM ex_big WHERE id > :watermark", {}))


def test_session_is_read_only(extractor: CheckedExtractor) -> None:
    with pytest.raises(ConfigError, match="a row lock"):
        list(extractor.batches("SELECT id FROM ex_big LIMIT 1 FOR UPDATE", {}))
    # Below the statement check, the session itself refuses to lock or write.
    with pytest.raises(SourceError, match="read-only"):
        list(extractor.inner.batches("SELECT id FROM ex_big LIMIT 1 FOR UPDATE", {}))


def test_canary_password_never_in_errors(pg: str) -> None:
    url = make_url(pg).set(password=CANARY, database="no_such_database_x").render_as_string(hide_password=False)
    with pytest.raises(SourceError) as caught:
        open_extractor(make_source("postgres"), url)
    assert CANARY not in str(caught.value)
    assert "no_such_database_x" in str(caught.value)
    good = make_url(pg).set(password=CANARY).render_as_string(hide_password=False)
    extractor = open_extractor(make_source("postgres"), good)
    with pytest.raises(SourceError) as failed:
        list(extractor.batches(f"SELECT '{CANARY}'::int", {}))
    extractor.close()
    assert CANARY not in str(failed.value)


def test_close_while_streaming_stops_the_reader(pg: str) -> None:
    extractor = open_extractor(make_source("postgres", batch_size=1000), pg)
    stream = extractor.batches("SELECT a.id FROM ex_big a CROSS JOIN generate_series(1, 100) b", {})
    assert next(stream).num_rows == 1000
    started = time.perf_counter()
    extractor.close()
    assert time.perf_counter() - started < 5
    assert not [t for t in threading.enumerate() if t.name == "pg-copy-reader"]


def test_trailing_line_comment_and_array_rewrite(extractor: CheckedExtractor) -> None:
    table = read_all(
        extractor, "SELECT id, nums FROM ex_types WHERE id = :watermark -- trailing comment", {"watermark": 1}
    )
    assert table.to_pylist() == [{"id": 1, "nums": [1, 2, 3]}]


def test_url_query_parameters_reach_libpq(pg: str) -> None:
    url = make_url(pg)
    socket_url = f"postgresql://{url.username}@/{url.database}?host=127.0.0.1&port={url.port}&application_name=gs-x"
    extractor = open_extractor(make_source("postgres"), socket_url)
    try:
        table = read_all(extractor, "SELECT current_setting('application_name') AS app")
        assert table.column("app").to_pylist() == ["gs-x"]
    finally:
        extractor.close()


@pytest.mark.parametrize("literal", ["ARRAY[[1, 2], [3, 4]]", "ARRAY[['a', 'b'], ['c', 'd']]"])
def test_a_two_dimensional_array_is_an_error_naming_its_column(extractor: CheckedExtractor, literal: str) -> None:
    with pytest.raises(SourceError) as caught:
        read_all(extractor, f"SELECT 1 AS id, {literal} AS matrix")
    message = str(caught.value)
    assert "column 'matrix' holds a multi-dimensional array" in message
    assert "Fix: select one dimension (unnest(matrix), or matrix[1]) or its text (matrix::text AS matrix)" in message
