"""Embedded providers: DuckDB and SQLite database files, opened read-only.

DuckDB streams Arrow record batches itself. SQLite goes through the `sqlite3` module with `fetchmany`; its
columns have no declared result types, so `RowBatcher` types each column from its first values.

Beyond read-only: DuckDB runs with `enable_external_access = false`, so a statement cannot read or write any other
file (`read_csv`, a path in FROM, `COPY ... TO`, `ATTACH`, extensions); SQLite allows no attached databases and
runs one statement per call (extension loading is off in Python's `sqlite3` by default).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy.dialects.sqlite import pysqlite

from runtime.extract.binds import dollar_dialect
from runtime.extract.rows import RowBatcher, empty_batch, stream_rows
from runtime.extract.urls import Target


def _database_file(target: Target) -> Path:
    path = Path(str(target.url.database)).expanduser()
    if not path.is_file():
        raise target.error(
            f"database file {path} does not exist", None, "create it first, or fix the path in the secret's URL"
        )
    return path


class DuckDbExtractor:
    """Streams from a DuckDB file through DuckDB's Arrow record batch reader."""

    def __init__(self, target: Target, batch_size: int) -> None:
        self.target = target
        self.batch_size = max(1, batch_size)
        path = _database_file(target)
        try:
            self.conn = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
            self.conn.execute("SET TimeZone = 'UTC'")
        except duckdb.Error as error:
            raise target.error("cannot open the database file", error) from None

    def close(self) -> None:
        self.conn.close()

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        bound = self.target.bind(statement, params, dollar_dialect())
        return self._stream(bound.sql, list(bound.params) if isinstance(bound.params, tuple) else None)

    def _stream(self, sql: str, values: list[object] | None) -> Iterator[pa.RecordBatch]:
        try:
            relation = self.conn.sql(sql, params=values) if values else self.conn.sql(sql)
            reader = relation.to_arrow_reader(self.batch_size)
        except duckdb.Error as error:
            raise self.target.error("the statement failed", error, "check the query against the source") from None
        empty = True
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (duckdb.Error, pa.ArrowException) as error:
                raise self.target.error("the query failed while streaming rows", error) from None
            empty = False
            yield batch
        if empty:
            yield empty_batch(reader.schema)


class SqliteExtractor:
    """Streams from a SQLite file (read-only) with `fetchmany`, typed by `RowBatcher`."""

    def __init__(self, target: Target, batch_size: int) -> None:
        self.target = target
        self.batch_size = max(1, batch_size)
        uri = _database_file(target).resolve().as_uri() + "?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True)
            self.conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)  # no ATTACH: no second file, read or created
        except sqlite3.Error as error:
            raise target.error("cannot open the database file", error) from None

    def close(self) -> None:
        self.conn.close()

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        bound = self.target.bind(statement, params, pysqlite.dialect())
        return self._stream(bound.sql, bound.params)

    def _stream(self, sql: str, values: tuple[object, ...] | dict[str, object]) -> Iterator[pa.RecordBatch]:
        cursor = self.conn.cursor()
        try:
            try:
                cursor.execute(sql, values)
            except sqlite3.Error as error:
                raise self.target.error("the statement failed", error, "check the query against the source") from None
            names = [d[0] for d in cursor.description or ()]
            batcher = RowBatcher(names, [None] * len(names))
            yield from stream_rows(cursor.fetchmany, batcher, self.batch_size, self.target.error, (sqlite3.Error,))
        finally:
            cursor.close()
