"""PostgreSQL: `COPY (statement) TO STDOUT (FORMAT csv)` parsed into Arrow by pyarrow's CSV reader.

Why this shape (measured in bench/bench_extract.py): COPY is the fastest way out of PostgreSQL, and libpq hands
COPY data over one row per message, so the rows are row-aligned CSV: a reader thread only appends bytes, and
pyarrow parses each chunk (multi-threaded, GIL released) while the next one streams in. Column types come from a
`LIMIT 0` describe of the same statement, so every batch has the same schema. Arrays travel as JSON text and are
parsed by pyarrow's JSON reader.

Protocols: the describe runs over the extended query protocol with `:watermark` bound server-side, so the server
accepts exactly one statement. COPY cannot take parameters, so psycopg merges `:watermark` into the COPY text
with its own quoting (never string formatting) and sends it over the simple query protocol, which would run
several `;`-separated statements: what stops `...; COMMIT; CREATE TABLE ...` there is the runtime's statement
check (`runtime.extract.statement`), run before any statement is sent, and the describe failing first.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson
from psycopg import sql as psql
from sqlalchemy.dialects.postgresql import psycopg as sa_psycopg

from runtime.extract.rows import empty_batch
from runtime.extract.urls import Target

# Scalar type OID -> Arrow type as parsed from PostgreSQL's CSV text output (session is UTC, DateStyle ISO).
_SCALARS: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    1082: pa.date32(),
    1083: pa.time64("us"),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}
_NUMERIC = 1700
# Array element OIDs kept natively in lists; any other element type travels as text.
_LIST_ELEMENTS: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int64(),
    23: pa.int64(),
    700: pa.float64(),
    701: pa.float64(),
}
_MAX_CHUNK_BYTES = 16 << 20
_END = object()


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    arrow: pa.DataType
    array_element: int | None  # element OID when the column is an array


def connect(target: Target, connect_timeout: int = 10) -> psycopg.Connection[Any]:
    """A read-only psycopg connection in UTC with ISO dates (what the CSV parsing expects)."""
    url = target.url
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        "connect_timeout": connect_timeout,
    }
    # Query parameters are libpq keywords (sslmode, options, host=/socket/dir, ...) and win over the defaults.
    params.update({str(k): v for k, v in url.query.items() if isinstance(v, str)})
    try:
        conn = psycopg.connect(autocommit=False, **{k: v for k, v in params.items() if v not in (None, "")})
    except psycopg.Error as error:
        raise target.error(
            "cannot connect", error, "check host, port, database and credentials in the secret"
        ) from None
    conn.read_only = True
    try:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET DateStyle TO 'ISO, YMD'")
        conn.execute("SET client_encoding TO 'UTF8'")
        conn.commit()
    except psycopg.Error as error:
        conn.close()
        raise target.error("cannot prepare the session", error) from None
    return conn


class PostgresExtractor:
    """Streams a statement's rows as Arrow batches through COPY."""

    def __init__(self, target: Target, batch_size: int) -> None:
        self.target = target
        self.batch_size = max(1, batch_size)
        self.conn = connect(target)
        self._active: Generator[pa.RecordBatch, None, None] | None = None
        # With client_encoding UTF8 the server validates text; only SQL_ASCII databases pass raw bytes through.
        self.check_utf8 = self.conn.info.parameter_status("server_encoding") == "SQL_ASCII"

    def close(self) -> None:
        if self._active is not None:
            self._active.close()  # stops the reader thread and cancels the COPY if still streaming
            self._active = None
        self.conn.close()

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        bound = self.target.bind(statement, params, sa_psycopg.dialect())  # type: ignore[no-untyped-call]
        values = bound.params if bound.params else None
        columns = self._describe(bound.sql, values)
        # Newlines around nested statements: a trailing `-- comment` must not swallow the closing parenthesis.
        copy_sql = f"COPY (\n{self._select(bound.sql, columns)}\n) TO STDOUT (FORMAT csv)"
        self._active = self._stream(copy_sql, values, columns)
        return self._active

    # --- describe ------------------------------------------------------------------------------------------

    def _describe(self, sql: str, values: Any) -> list[_Column]:
        try:
            # Server-side binding over the extended query protocol (`binary=True` forces it even without
            # parameters): PostgreSQL parses exactly one statement there, so `...; COMMIT; CREATE ...` fails here
            # instead of ending the read-only transaction, as it would over the simple protocol.
            with self.conn.cursor() as cursor:
                cursor.execute(f"SELECT * FROM (\n{sql}\n) AS gs_q LIMIT 0", values, binary=True)
                description = cursor.description or []
                array_oids = [d.type_code for d in description if d.type_code not in _SCALARS]
                elements: dict[int, int] = {}
                if array_oids:
                    cursor.execute(
                        "SELECT oid::int, typelem::int FROM pg_type WHERE oid = ANY(%s) AND typcategory = 'A'",
                        (array_oids,),
                    )
                    elements = {int(oid): int(elem) for oid, elem in cursor.fetchall()}
        except psycopg.Error as error:
            self._rollback()
            raise self.target.error("the statement failed", error, "check the query against the source") from None
        columns = []
        for d in description:
            element = elements.get(d.type_code)
            if element is not None:
                arrow: pa.DataType = pa.list_(_LIST_ELEMENTS.get(element, pa.string()))
            elif d.type_code == _NUMERIC and d.precision and 0 < d.precision <= 38:
                arrow = pa.decimal128(d.precision, d.scale or 0)
            else:
                # Unbounded numeric, text, json, uuid, interval, enums, bytea (as \x hex): exact text.
                arrow = _SCALARS.get(d.type_code, pa.string())
            columns.append(_Column(d.name, arrow, element))
        return columns

    def _select(self, sql: str, columns: list[_Column]) -> str:
        if all(c.array_element is None for c in columns):
            return sql
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise self.target.error(
                "the statement returns duplicate column names and an array column",
                None,
                "give every selected column a distinct alias",
            )
        parts = []
        for c in columns:
            ident = psql.Identifier(c.name).as_string(self.conn)
            if c.array_element is None:
                parts.append(f"gs_q.{ident}")
            else:
                cast = "" if c.array_element in _LIST_ELEMENTS else "::text[]"
                parts.append(f"array_to_json(gs_q.{ident}{cast})::text AS {ident}")
        return f"SELECT {', '.join(parts)} FROM (\n{sql}\n) AS gs_q"

    # --- stream --------------------------------------------------------------------------------------------

    def _stream(self, copy_sql: str, values: Any, columns: list[_Column]) -> Generator[pa.RecordBatch, None, None]:
        chunks: queue.Queue[object] = queue.Queue(maxsize=2)
        stop = threading.Event()
        pump = threading.Thread(
            target=self._pump, args=(copy_sql, values, chunks, stop), name="pg-copy-reader", daemon=True
        )
        pump.start()
        parsed = 0
        finished = False
        try:
            while True:
                item = chunks.get()
                if item is _END:
                    finished = True
                    if parsed == 0:
                        yield empty_batch(pa.schema([(c.name, c.arrow) for c in columns]))
                    break
                if isinstance(item, BaseException):
                    raise self.target.error("the query failed while streaming rows", item) from None
                assert isinstance(item, bytearray)
                parsed += 1
                yield from self._parse(item, columns)
        finally:
            if not finished:
                stop.set()
                self.conn.cancel_safe()
                while pump.is_alive():
                    with contextlib.suppress(queue.Empty):
                        chunks.get(timeout=0.05)
            pump.join()
            self._rollback()

    def _pump(self, copy_sql: str, values: Any, chunks: queue.Queue[object], stop: threading.Event) -> None:
        """Reader thread: hand over row-aligned CSV chunks of batch_size rows (or 64 MiB), then _END."""
        try:
            failures: list[str] = []
            with self.conn.cursor() as cursor, cursor.copy(copy_sql, values) as copy:
                done = False
                while not done:
                    chunk, done = _read_chunk(self.conn.pgconn, copy, self.batch_size, failures)
                    if stop.is_set():
                        # Raised inside the copy block so psycopg cancels and drains the COPY itself.
                        raise _CopyFailed("stopped by the consumer")
                    if chunk and not failures:
                        chunks.put(chunk)
            if failures:
                raise _CopyFailed("; ".join(failures))
            chunks.put(_END)
        except BaseException as error:  # handed to the consuming thread, which raises SourceError
            if not stop.is_set():
                chunks.put(error)

    def _parse(self, chunk: bytearray, columns: list[_Column]) -> list[pa.RecordBatch]:
        keys = [f"c{i}" for i in range(len(columns))]
        types = {
            k: (pa.string() if c.array_element is not None else c.arrow) for k, c in zip(keys, columns, strict=True)
        }
        try:
            table = pcsv.read_csv(
                pa.py_buffer(chunk),
                # One thread: the reader thread and the server already use the other cores, and pyarrow's
                # parallel quote-aware block splitting (newlines_in_values) cost more than it saved. Each 4 MiB
                # block becomes a batch: faster than one block per chunk (measured), and no copy to combine them.
                read_options=pcsv.ReadOptions(column_names=keys, use_threads=False, block_size=4 << 20),
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(
                    column_types=types,
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    true_values=["t"],
                    false_values=["f"],
                    check_utf8=self.check_utf8,
                ),
            )
            # One batch per parsed block, as parsed: combining the blocks would copy every value once more.
            names = [c.name for c in columns]
            batches = [
                pa.RecordBatch.from_arrays(
                    [
                        self._lists(a, c) if c.array_element is not None else a
                        for a, c in zip(block.columns, columns, strict=True)
                    ],
                    names=names,
                )
                for block in table.to_batches()
            ]
        except pa.ArrowException as error:
            message = str(error)
            for index, column in enumerate(columns):
                message = message.replace(f"column #{index}:", f"column {column.name!r}:")
            raise self.target.error("a value could not be converted", message) from None
        return batches

    def _lists(self, column: pa.Array, described: _Column) -> pa.Array:
        """An array column's JSON texts as a list array; a failure names the column (and says why, if known)."""
        try:
            return _json_lists(column, described.arrow)
        except pa.ArrowException as error:
            nested = "to array" in str(error)  # pyarrow: "Column(/v/[]) changed from number to array"
            what = "holds a multi-dimensional array" if nested else f"cannot be read as {described.arrow}"
            fix = (
                f"select one dimension (unnest({described.name}), or {described.name}[1]) or its text "
                f"({described.name}::text AS {described.name})"
                if nested
                else f"select it as text ({described.name}::text AS {described.name})"
            )
            # pyarrow's "in row N" counts from the chunk, not the result: only its reason is worth showing.
            raise self.target.error(f"column {described.name!r} {what}", None if nested else str(error), fix) from None

    def _rollback(self) -> None:
        # If the connection is gone, the error that got us here is what the caller sees.
        with contextlib.suppress(psycopg.Error):
            self.conn.rollback()


class _CopyFailed(Exception):
    """The server ended the COPY with an error (e.g. a division by zero after N rows)."""


def _read_chunk(pgconn: Any, copy: psycopg.Copy, max_rows: int, failures: list[str]) -> tuple[bytearray, bool]:
    """Up to `max_rows` COPY rows (one per message) as one buffer, and whether the COPY has ended.

    This loop is the hottest Python code of an extraction. Per row, psycopg's `Copy.read()` runs its
    generator-based wait; asking libpq directly first (non-blocking) and falling back to `Copy.read()` only
    when nothing is buffered saves about a third of the reader's CPU (measured), which matters on a small
    machine where the server and the parser share the cores. When libpq reports the end itself, the final
    results are collected here and a server error goes to `failures` (raised by the caller after the `copy`
    block, which then has nothing left to clean up).
    """
    get, read = pgconn.get_copy_data, copy.read
    buffer, rows = bytearray(), 0
    while rows < max_rows:
        nbytes, data = get(1)
        if nbytes > 0:
            buffer += data
            rows += 1
            if len(buffer) >= _MAX_CHUNK_BYTES:
                break
        elif nbytes == 0:  # nothing buffered: let psycopg wait for the socket (and raise errors)
            data = read()
            if not data:
                return buffer, True
            buffer += data
            rows += 1
        elif nbytes == -1:  # end of data: collect every final result; one may carry the server's error
            while (result := pgconn.get_result()) is not None:
                if result.status == psycopg.pq.ExecStatus.FATAL_ERROR:
                    failures.append(result.error_message.decode("utf-8", "replace").strip())
            return buffer, True
        else:
            raise _CopyFailed(pgconn.error_message.decode("utf-8", "replace").strip())
    return buffer, False


def _json_lists(column: pa.Array, list_type: pa.DataType) -> pa.Array:
    """A column of JSON array texts -> a list array, vectorised through pyarrow's JSON reader."""
    if len(column) == 0:
        return pa.array([], type=list_type)
    lines = pc.binary_join_element_wise('{"v":', pc.fill_null(column, "null"), "}\n", "")
    whole = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "")
    table = pjson.read_json(
        pa.BufferReader(whole[0].as_buffer()),
        parse_options=pjson.ParseOptions(explicit_schema=pa.schema([("v", list_type)])),
    )
    return table.column("v").combine_chunks()
