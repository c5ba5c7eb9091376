"""The generic path: SQLAlchemy Core with a server-side cursor (`stream_results`) and `fetchmany`.

Serves SQL Server (pyodbc) and Oracle (oracledb, thin mode), and any `dialect+driver` URL without a fast path.
SQLAlchemy compiles `:watermark` into the driver's paramstyle. Types come from the cursor description when the
driver gives Python types (pyodbc), else from the first rows (`RowBatcher`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from runtime.errors import SourceError
from runtime.extract.binds import strip_statement
from runtime.extract.rows import RowBatcher, stream_rows, type_from_description
from runtime.extract.urls import Target

# SQL Server ODBC drivers in order of preference when the URL names none (`?driver=...`).
MSSQL_ODBC_DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS")
CONNECT_TIMEOUT_SECONDS = 10
CONNECT_DEADLINE_SECONDS = 30

# driver -> connect() keyword for a connect timeout, so a dead host fails in seconds, not minutes.
_TIMEOUT_ARGS: dict[str, str] = {
    "pyodbc": "timeout",
    "oracledb": "tcp_connect_timeout",
    "pymysql": "connect_timeout",
    "psycopg": "connect_timeout",
    "psycopg2": "connect_timeout",
}


def odbc_drivers() -> list[str]:
    """Installed ODBC drivers; SourceError-friendly message if the ODBC manager itself is missing."""
    try:
        import pyodbc
    except ImportError as error:
        raise SourceError(
            f"pyodbc cannot load ({error}). Fix: install the ODBC driver manager "
            "(Debian: apt-get install unixodbc) and a driver (tdsodbc, or Microsoft's ODBC Driver 18)"
        ) from None
    return list(pyodbc.drivers())


def with_odbc_driver(url: URL, installed: list[str]) -> URL:
    """For `mssql+pyodbc` URLs without `driver=` or `odbc_connect=`, pick the best installed driver.

    A URL with a host but no database is SQLAlchemy's DSN form (`mssql+pyodbc://user:pw@my_dsn`): the DSN in
    odbc.ini names its driver, so it is left alone.
    """
    if "driver" in url.query or "odbc_connect" in url.query or not url.host or not url.database:
        return url
    for candidate in MSSQL_ODBC_DRIVERS:
        if candidate in installed:
            return url.update_query_dict({"driver": candidate})
    raise SourceError(
        f"no SQL Server ODBC driver is installed (found: {', '.join(installed) or 'none'}). Fix: install "
        f"Microsoft's ODBC Driver 18 or FreeTDS (apt-get install tdsodbc), or name one with ?driver=... in the URL"
    )


def connect_args(driver: str) -> dict[str, Any]:
    key = _TIMEOUT_ARGS.get(driver)
    return {key: CONNECT_TIMEOUT_SECONDS} if key else {}


def _reason(error: BaseException) -> BaseException:
    """The driver's own exception inside SQLAlchemy's wrapper (whose text adds the SQL and a help link)."""
    orig = getattr(error, "orig", None)
    return orig if isinstance(orig, BaseException) else error


class SqlAlchemyExtractor:
    """Streams through SQLAlchemy Core: `stream_results=True`, `fetchmany(batch_size)`."""

    def __init__(self, target: Target, batch_size: int) -> None:
        self.target = target
        self.batch_size = max(1, batch_size)
        url = target.url
        if target.driver == "pyodbc" and target.provider == "mssql":
            url = with_odbc_driver(url, odbc_drivers())
        self.engine = self._engine(url)
        self.conn: Connection = self._connect()

    def _connect(self) -> Connection:
        """Connect within a deadline: some drivers (FreeTDS, measured) ignore their login timeout when a host
        accepts TCP but never answers, which would hang a scheduled run forever."""
        outcome: list[Connection | BaseException] = []

        def attempt() -> None:
            try:
                outcome.append(self.engine.connect())
            except BaseException as error:  # handed back to the calling thread
                outcome.append(error)

        worker = threading.Thread(target=attempt, name="sql-connect", daemon=True)
        worker.start()
        worker.join(CONNECT_DEADLINE_SECONDS)
        if not outcome:
            raise self.target.error(
                f"no answer within {CONNECT_DEADLINE_SECONDS} s while connecting",
                None,
                "check that the host and port belong to the database server (not a proxy that accepts and waits)",
            )
        result = outcome[0]
        if isinstance(result, exc.DBAPIError):
            raise self.target.error(
                "cannot connect", _reason(result), "check host, port, database and credentials in the secret"
            ) from None
        if isinstance(result, BaseException):
            raise result
        return result

    def _engine(self, url: URL) -> Engine:
        try:
            return create_engine(url, poolclass=NullPool, connect_args=connect_args(self.target.driver))
        except (exc.NoSuchModuleError, ImportError) as error:
            raise self.target.error(
                f"the driver {url.drivername!r} is not available",
                error,
                "use a driver this runtime ships (postgresql+psycopg, mysql+pymysql, mssql+pyodbc, "
                "oracle+oracledb) or install the one the URL names",
            ) from None

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        clause = text(strip_statement(statement))
        missing = [name for name in clause._bindparams if name not in params]
        if missing:
            raise self.target.error(f"the statement binds :{missing[0]} but no value was given")
        used = {name: value for name, value in params.items() if name in clause._bindparams}
        return self._stream(clause, used)

    def _stream(self, clause: Any, params: dict[str, object]) -> Iterator[pa.RecordBatch]:
        streaming = self.conn.execution_options(stream_results=True, yield_per=self.batch_size)
        try:
            result = streaming.execute(clause, params)
        except exc.SQLAlchemyError as error:
            self._rollback()
            raise self.target.error(
                "the statement failed", _reason(error), "check the query against the source"
            ) from None
        try:
            description = result.cursor.description or () if result.cursor is not None else ()
            names = list(result.keys())
            types = [type_from_description(d[1], d[4], d[5]) for d in description] or [None] * len(names)
            batcher = RowBatcher(names, types)

            def fail(what: str, cause: BaseException | str) -> Exception:
                return self.target.error(what, _reason(cause) if isinstance(cause, exc.SQLAlchemyError) else cause)

            yield from stream_rows(result.fetchmany, batcher, self.batch_size, fail, (exc.SQLAlchemyError,))
        finally:
            result.close()
            self._rollback()

    def _rollback(self) -> None:
        # If the connection is gone, the error that got us here is what the caller sees.
        with contextlib.suppress(exc.SQLAlchemyError):
            self.conn.rollback()
