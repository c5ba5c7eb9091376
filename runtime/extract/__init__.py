"""SQL extraction: `open_extractor(source, url)` returns an Extractor that streams Arrow record batches.

Which path runs (an explicit table, no discovery):

| provider | URL driver (or the plan's)   | path                                                         |
|----------|------------------------------|--------------------------------------------------------------|
| postgres | psycopg                      | COPY ... TO STDOUT (CSV) -> pyarrow CSV reader (`postgres`)  |
| mysql    | pymysql                      | PyMySQL unbuffered cursor, vectorised casts (`mysql`)        |
| duckdb   | -                            | DuckDB's own Arrow record batch reader (`embedded`)          |
| sqlite   | -                            | sqlite3, read-only, rows -> Arrow (`embedded`)               |
| any      | any other (pyodbc, oracledb) | SQLAlchemy Core, stream_results + fetchmany (`generic`)      |

Guarantees to the engine: no statement reaches a server unless it is exactly one read-only SELECT
(`runtime.extract.statement`; a refused statement is a `ConfigError`, exit 2); batches share one schema; an
empty result still yields one zero-row batch carrying the schema; every other failure, before or during the
stream, is a `runtime.errors.SourceError` whose message never holds a credential of the URL; PostgreSQL,
MariaDB, DuckDB and SQLite sessions are read-only; `close()` also stops a stream still running.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

import pyarrow as pa

from compiler.plan import SqlSource
from compiler.plan.providers import PROVIDERS
from runtime.errors import SourceError
from runtime.extract.statement import checked
from runtime.extract.urls import Target, parse_target
from runtime.optional import require

__all__ = ["CheckedExtractor", "Extractor", "open_extractor"]


class Extractor(Protocol):
    """Streams the rows of a statement as Arrow record batches of about `batch_size` rows."""

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        """Run `statement` (binds written `:name`, values in `params`); raise SourceError on any failure."""
        ...

    def close(self) -> None: ...


# (provider, driver) -> fast path, as `module:class`. Anything not listed goes through SQLAlchemy. Imported on
# use: a driver is an extra of the package, and only the one a plan names must be installed.
_FAST_PATHS: dict[tuple[str, str], str] = {
    ("postgres", "psycopg"): "runtime.extract.postgres:PostgresExtractor",
    ("mysql", "pymysql"): "runtime.extract.mysql:MySqlExtractor",
    ("duckdb", ""): "runtime.extract.embedded:DuckDbExtractor",
    ("sqlite", ""): "runtime.extract.embedded:SqliteExtractor",
}
_GENERIC = "runtime.extract.generic:SqlAlchemyExtractor"
_DRIVER_MODULES = {p.driver_name: p.driver_module for p in PROVIDERS.values() if p.driver_name and p.driver_module}
"""SQLAlchemy driver name -> the module it imports (a missing one names its extra), from the provider table."""


def _factory(target: Target) -> Callable[[Target, int], Extractor]:
    if target.driver in _DRIVER_MODULES:
        require(_DRIVER_MODULES[target.driver])
    module, _, name = _FAST_PATHS.get((target.provider, target.driver), _GENERIC).partition(":")
    factory: Callable[[Target, int], Extractor] = getattr(importlib.import_module(module), name)
    return factory


class CheckedExtractor:
    """An extractor whose every statement passes the read-only check before the driver sees it."""

    def __init__(self, inner: Extractor, source: SqlSource) -> None:
        self.inner, self.source = inner, source

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        return self.inner.batches(checked(statement, self.source), params)

    def close(self) -> None:
        self.inner.close()


def open_extractor(source: SqlSource, url: str) -> Extractor:
    """Connect to the source named by `url` (the resolved secret) and return its extractor.

    Raises ConfigError for a plan statement that is not one read-only SELECT (before connecting), SourceError
    for a URL that does not fit the provider, a failed connection or a missing driver (then naming the extra to
    install, `runtime.optional`).
    """
    for statement in (source.snapshot_statement, source.incremental_statement):
        if statement is not None:
            checked(statement, source)
    target = parse_target(source, url)
    try:
        return CheckedExtractor(_factory(target)(target, source.batch_size), source)
    except SourceError:
        raise
    except Exception as error:  # a driver's own exception type: wrap, scrubbed
        raise target.error("cannot open the source", error) from None
