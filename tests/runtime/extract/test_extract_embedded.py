"""Embedded providers: DuckDB and SQLite files created by the test, read-only extraction."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from extract_helpers import make_source, read_all

from runtime.errors import ConfigError, SourceError
from runtime.extract import open_extractor
from runtime.extract.embedded import DuckDbExtractor, SqliteExtractor
from runtime.extract.urls import parse_target

ROWS = 2_500


@pytest.fixture
def duckdb_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "CREATE TABLE docs AS SELECT range::BIGINT AS id, 'title ' || range AS title, "
            "TIMESTAMPTZ '2024-01-01 00:00:00+00' + range * INTERVAL 1 MINUTE AS updated_at, "
            "['u' || range, 'admins'] AS readers FROM range(1, $1 + 1)",
            [ROWS],
        )
    return path


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, score REAL, updated_at TEXT)")
        conn.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?)",
            [(i, f"title {i}", None if i % 2 else i / 2, f"2024-01-01 00:{i % 60:02d}:00") for i in range(1, ROWS + 1)],
        )
    conn.close()
    return path


def test_duckdb_streams_typed_batches_with_watermark(duckdb_file: Path) -> None:
    extractor = open_extractor(make_source("duckdb", batch_size=1000), f"duckdb:///{duckdb_file}")
    try:
        batches = list(extractor.batches("SELECT * FROM docs WHERE id > :watermark", {"watermark": 100}))
        assert len(batches) >= 2
        table = pa.Table.from_batches(batches)
        assert table.num_rows == ROWS - 100
        assert table.schema.field("id").type == pa.int64()
        assert pa.types.is_timestamp(table.schema.field("updated_at").type)
        assert table.schema.field("readers").type == pa.list_(pa.string())
        first = table.sort_by("id").slice(0, 1).to_pylist()[0]
        assert first["readers"] == ["u101", "admins"]
        when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=ROWS - 1)
        recent = read_all(extractor, "SELECT id FROM docs WHERE updated_at >= :watermark", {"watermark": when})
        assert sorted(recent.column("id").to_pylist()) == [ROWS - 1, ROWS]
        empty = list(extractor.batches("SELECT id, title FROM docs WHERE id < 0", {}))
        assert [b.num_rows for b in empty] == [0]
        assert empty[0].schema.names == ["id", "title"]
    finally:
        extractor.close()


def test_duckdb_errors_are_source_errors(duckdb_file: Path) -> None:
    extractor = open_extractor(make_source("duckdb"), f"duckdb:///{duckdb_file}")
    try:
        with pytest.raises(SourceError, match="the statement failed"):
            list(extractor.batches("SELECT * FROM nope", {}))
        with pytest.raises(SourceError, match="boom"):
            list(extractor.batches("SELECT id, CASE WHEN id = 2000 THEN error('boom') END AS x FROM docs", {}))
        with pytest.raises(ConfigError, match="not a SELECT"):
            list(extractor.batches("CREATE TABLE x AS SELECT 1", {}))
    finally:
        extractor.close()


def test_duckdb_session_is_read_only_below_the_statement_check(duckdb_file: Path) -> None:
    """The driver-level guarantee on its own: the file is opened read-only, whatever statement gets through."""
    source = make_source("duckdb")
    extractor = DuckDbExtractor(parse_target(source, f"duckdb:///{duckdb_file}"), 1000)
    try:
        with pytest.raises(SourceError, match=r"read-only|read only"):
            list(extractor.batches("CREATE TABLE x AS SELECT 1", {}))
    finally:
        extractor.close()


def test_sqlite_streams_and_types_from_values(sqlite_file: Path) -> None:
    extractor = open_extractor(make_source("sqlite", batch_size=1000), f"sqlite:///{sqlite_file}")
    try:
        batches = list(extractor.batches("SELECT * FROM docs WHERE id >= :watermark", {"watermark": 2}))
        assert [b.num_rows for b in batches] == [1000, 1000, ROWS - 2001]
        schema = batches[0].schema
        # Row 2 has a score, so the first batch types it as float; every batch shares the schema.
        assert schema.field("id").type == pa.int64()
        assert schema.field("score").type == pa.float64()
        assert all(b.schema == schema for b in batches)
        empty = list(extractor.batches("SELECT id FROM docs WHERE id < 0", {}))
        assert [b.num_rows for b in empty] == [0]
    finally:
        extractor.close()


def test_sqlite_is_read_only(sqlite_file: Path) -> None:
    extractor = open_extractor(make_source("sqlite"), f"sqlite:///{sqlite_file}")
    try:
        with pytest.raises(ConfigError, match="a DELETE statement, not a SELECT"):
            list(extractor.batches("DELETE FROM docs", {}))
    finally:
        extractor.close()
    # Below the statement check, the file itself is opened read-only.
    direct = SqliteExtractor(parse_target(make_source("sqlite"), f"sqlite:///{sqlite_file}"), 1000)
    try:
        with pytest.raises(SourceError, match=r"readonly|read-only"):
            list(direct.batches("DELETE FROM docs", {}))
    finally:
        direct.close()


@pytest.mark.parametrize("provider", ["duckdb", "sqlite"])
def test_missing_file_is_a_clean_error(provider: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        open_extractor(make_source(provider), f"{provider}:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()


def test_duckdb_cannot_reach_other_files_below_the_statement_check(duckdb_file: Path, tmp_path: Path) -> None:
    """External access is off: no other file is read or written, even by a statement that got past the check."""
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n")
    extractor = DuckDbExtractor(parse_target(make_source("duckdb"), f"duckdb:///{duckdb_file}"), 1000)
    try:
        for statement in (
            f"SELECT * FROM read_csv('{other}')",
            f"SELECT * FROM '{other}'",
            f"COPY (SELECT 1) TO '{tmp_path / 'written.csv'}'",
        ):
            with pytest.raises(SourceError, match="file system operations are disabled"):
                list(extractor.batches(statement, {}))
    finally:
        extractor.close()
    assert not (tmp_path / "written.csv").exists()


def test_sqlite_cannot_attach_another_file(sqlite_file: Path, tmp_path: Path) -> None:
    extractor = SqliteExtractor(parse_target(make_source("sqlite"), f"sqlite:///{sqlite_file}"), 1000)
    try:
        with pytest.raises(SourceError, match="too many attached databases"):
            list(extractor.batches(f"ATTACH DATABASE '{tmp_path / 'new.db'}' AS x", {}))
    finally:
        extractor.close()
    assert not (tmp_path / "new.db").exists()
