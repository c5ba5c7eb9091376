"""`sql_pull` cases: the connector's own query runs on DuckDB tables loaded from `given.tables`.

The statement the plan holds (in the provider's dialect, with `:watermark`) is translated to DuckDB by sqlglot,
then the real `SqlPull` streams it, so the choice of statement (snapshot, incremental, first run) and the binding
of the committed watermark are the runtime's own. Column types come from the values (YAML integers, strings,
timestamps, lists) or from the case's `tables:` declarations. A construct sqlglot cannot translate, or DuckDB
cannot run, is reported with its position in the query.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

from compiler.plan import Plan, SqlSource
from compiler.plan.providers import PROVIDERS
from runtime.errors import ConfigError, SourceError
from runtime.extract.rows import empty_batch
from runtime.harness.case import Case, Run
from runtime.harness.given.base import HarnessRun, Prepared
from runtime.sources.base import PullContext
from runtime.sources.sql import open_sql_pull


def translate(statement: str, source: SqlSource, where: str) -> str:
    """`statement` in DuckDB's dialect (`:watermark` becomes `$watermark`)."""
    read = PROVIDERS[source.provider].dialect
    try:
        translated = sqlglot.transpile(statement, read=read, write="duckdb", unsupported_level=ErrorLevel.RAISE)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        position = f"line {first.get('line', '?')}, column {first.get('col', '?')} of the query"
        reason = first.get("description") or str(error)
        raise ConfigError(
            f"{where}: the {source.provider} query cannot be translated to DuckDB for the harness ({position}):"
            f" {reason}; write the construct in a form sqlglot understands, or test this connector against a"
            " real server"
        ) from None
    except UnsupportedError as error:
        raise ConfigError(
            f"{where}: the {source.provider} query uses a construct DuckDB has no equivalent for: {error};"
            " write it portably, or test this connector against a real server"
        ) from None
    if len(translated) != 1:
        raise ConfigError(f"{where}: the query must be one statement")
    return translated[0]


_LOCK = threading.Lock()
_RUNS = itertools.count(1)


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def run_database() -> tuple[duckdb.DuckDBPyConnection, str]:
    """A fresh, empty catalog for one run's tables, in one in-memory DuckDB per process.

    Opening a DuckDB database costs tens of milliseconds; attaching an in-memory catalog to an open one costs
    about one, and a case runs several of them."""
    with _LOCK:
        con = _database().cursor()
    name = f"harness_run_{next(_RUNS)}"
    con.execute(f"ATTACH ':memory:' AS {name}")
    con.execute(f"USE {name}")
    return con, name


def release(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("USE memory")
    con.execute(f"DETACH {name}")
    con.close()


class HarnessExtractor:
    """The `runtime.sources.sql.Extractor` of a case: DuckDB tables in memory, the plan's statement translated."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, catalog: str, source: SqlSource, where: str, fail: str | None
    ) -> None:
        self.con, self.catalog, self.source, self.where, self.fail = con, catalog, source, where, fail

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        sql = translate(statement, self.source, self.where)
        binds = {name: value for name, value in params.items() if f"${name}" in sql}
        try:
            reader = self.con.sql(sql, params=binds or None).to_arrow_reader(self.source.batch_size)
        except duckdb.Error as error:
            raise SourceError(
                f"{self.where}: the query failed on the case's tables: {error}; check the query and `given.tables`"
                " (the harness runs it on DuckDB, translated from the provider's dialect)"
            ) from None
        empty = True
        for batch in reader:
            empty = False
            yield batch
        if empty:
            yield empty_batch(reader.schema)
        if self.fail is not None:
            raise SourceError(f"the source failed after the given rows (given.fail): {self.fail}")

    def close(self) -> None:
        release(self.con, self.catalog)


def load_tables(con: duckdb.DuckDBPyConnection, case: Case, run: Run, where: str) -> None:
    tables = run.given.get("tables") or {}
    if not isinstance(tables, Mapping):
        raise ConfigError(f"{where}: `given.tables` maps each table to its rows")
    for name, rows in tables.items():
        _load(con, case, str(name), rows, f"{where}: table {name!r}")
    for name, declared in case.tables.items():  # declared but not given in this run: empty, typed
        if name not in tables:
            _create(con, name, declared)


def _quoted(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _create(con: duckdb.DuckDBPyConnection, name: str, columns: Mapping[str, str]) -> None:
    if "." in name:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(name.rsplit('.', 1)[0])}")
    listed = ", ".join(f"{_quoted(column)} {kind}" for column, kind in columns.items())
    con.execute(f"CREATE TABLE {_quoted(name)} ({listed})")


def _load(con: duckdb.DuckDBPyConnection, case: Case, name: str, rows: Any, where: str) -> None:
    declared = case.tables.get(name)
    relation: duckdb.DuckDBPyRelation | None
    if isinstance(rows, Mapping) and set(rows) == {"file"}:
        path = (case.path.parent / str(rows["file"])).resolve()
        if not path.is_file():
            raise ConfigError(f"{where}: no file {path}; paths are relative to the case file")
        reader = "read_json_auto" if path.suffix in (".ndjson", ".jsonl", ".json") else "read_csv_auto"
        relation = con.sql(f"SELECT * FROM {reader}(?)", params=[str(path)])
    elif isinstance(rows, list) and all(isinstance(r, Mapping) for r in rows):
        if not rows and declared is None:
            raise ConfigError(f"{where}: no rows and no column types; declare its columns under `tables:`")
        relation = con.from_arrow(_arrow(rows, where)) if rows else None
    else:
        raise ConfigError(f"{where}: give a list of rows (mappings) or {{file: rows.csv}}")
    try:
        if declared is not None:
            _create(con, name, declared)
            if relation is not None:
                con.execute(f"INSERT INTO {_quoted(name)} BY NAME SELECT * FROM relation")
        else:
            if "." in name:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(name.rsplit('.', 1)[0])}")
            con.execute(f"CREATE TABLE {_quoted(name)} AS SELECT * FROM relation")
    except duckdb.Error as error:
        raise ConfigError(
            f"{where}: the rows do not load: {error}; check their values against the declared types"
        ) from None


def _arrow(rows: list[Any], where: str) -> pa.Table:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(str(k) for k in row))
    try:
        return pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
    except (pa.ArrowException, TypeError, ValueError) as error:
        example = json.dumps(rows[0], default=str)[:120]
        raise ConfigError(
            f"{where}: a column mixes value types ({error}); make each column's values one type, or declare the"
            f" column types under `tables:` (first row: {example})"
        ) from None


def prepare_sql(plan: Plan, source: SqlSource, case: Case, run: Run, harness: HarnessRun) -> Prepared:
    where = f"{case.path}: run {run.index + 1}"
    if any(kind in run.given for kind in ("pages", "records", "pushes", "files")):
        raise ConfigError(f"{where}: a sql_pull run gives `tables`, not {', '.join(run.given)}")
    con, catalog = run_database()
    try:
        load_tables(con, case, run, where)
    except BaseException:
        release(con, catalog)
        raise

    def open_pull(context: PullContext) -> Any:
        extractor = HarnessExtractor(con, catalog, source, where, run.fail)
        return open_sql_pull(context, source, lambda _source, _url: extractor)

    return Prepared(plan=plan, open_pull=open_pull)
