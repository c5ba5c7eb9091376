"""MariaDB/MySQL: PyMySQL unbuffered cursor (rows stream from the server), values kept as text, cast by Arrow.

PyMySQL's per-value Python converters (datetime parsing above all) cost more than the wire; with the decoders
switched off every value arrives as raw bytes and one vectorised Arrow cast per column and batch gives it its
type. Types come from the result's field descriptions, so all batches share one
schema. The session runs in UTC (TIMESTAMP columns come back as UTC) and read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pymysql
import pymysql.cursors
from pymysql import converters
from pymysql.constants import FIELD_TYPE, FLAG
from sqlalchemy.dialects.mysql import pymysql as sa_pymysql

from compiler.plan.providers import PROVIDERS
from runtime.extract.rows import empty_batch
from runtime.extract.urls import Target

# Encoders only (Python -> SQL literal for the bound watermark); no decoders, so results stay text.
_ENCODERS = {k: v for k, v in converters.conversions.items() if not isinstance(k, int)}
_INTEGERS = {FIELD_TYPE.TINY, FIELD_TYPE.SHORT, FIELD_TYPE.LONG, FIELD_TYPE.INT24, FIELD_TYPE.LONGLONG, FIELD_TYPE.YEAR}
_TEXTUAL = {
    FIELD_TYPE.VARCHAR,
    FIELD_TYPE.VAR_STRING,
    FIELD_TYPE.STRING,
    FIELD_TYPE.TINY_BLOB,
    FIELD_TYPE.MEDIUM_BLOB,
    FIELD_TYPE.LONG_BLOB,
    FIELD_TYPE.BLOB,
}
_BINARY_CHARSET = 63
_DEFAULT_PORT = PROVIDERS["mysql"].default_port
_BOOLEAN_OPTIONS = frozenset({"ssl_verify_cert", "ssl_verify_identity"})
_QUERY_OPTIONS = frozenset({"charset", "unix_socket", "ssl_ca", "ssl_cert", "ssl_key"}) | _BOOLEAN_OPTIONS


def arrow_type(field: Any) -> pa.DataType:
    """Arrow type of a PyMySQL result field (type code, flags, charset, length, scale)."""
    code, unsigned = field.type_code, bool(field.flags & FLAG.UNSIGNED)
    if code in _INTEGERS:
        return pa.uint64() if unsigned and code == FIELD_TYPE.LONGLONG else pa.int64()
    if code == FIELD_TYPE.FLOAT:
        return pa.float32()
    if code == FIELD_TYPE.DOUBLE:
        return pa.float64()
    if code in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
        scale = int(field.scale)
        precision = int(field.length) - (1 if scale > 0 else 0) - (0 if unsigned else 1)
        return pa.decimal128(precision, scale) if 0 < precision <= 38 else pa.string()
    if code == FIELD_TYPE.DATETIME:
        return pa.timestamp("us")
    if code == FIELD_TYPE.TIMESTAMP:
        return pa.timestamp("us", tz="UTC")
    if code in (FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE):
        return pa.date32()
    if code in (FIELD_TYPE.BIT, FIELD_TYPE.GEOMETRY):
        return pa.binary()
    if code in _TEXTUAL and field.charsetnr == _BINARY_CHARSET:
        return pa.binary()
    # Text, JSON, ENUM, SET, TIME (may exceed 24 h), NULL: text.
    return pa.string()


def _cast(values: Sequence[object], target: pa.DataType) -> pa.Array:
    raw = pa.array(values, type=pa.binary())
    if pa.types.is_binary(target):
        return raw
    text = raw.cast(pa.string())  # validates UTF-8 (the session's character set is utf8mb4)
    if pa.types.is_string(target):
        return text
    if pa.types.is_timestamp(target) or pa.types.is_date(target):
        # MySQL's "zero" dates ('0000-00-00 ...') mean "no date": NULL, as the MySQL connectors do.
        zero = pc.starts_with(text, "0000-00-00")
        if pc.any(zero).as_py():
            text = pc.if_else(zero, pa.scalar(None, pa.string()), text)
        if pa.types.is_timestamp(target) and target.tz is not None:
            return text.cast(pa.timestamp(target.unit)).cast(target)
    return text.cast(target)


def _row_reader(columns: int) -> Callable[[Any], tuple[bytes | None, ...]]:
    """A row packet -> raw values, replacing PyMySQL's per-value method calls (~15% less CPU, measured).

    Text protocol rows are length-encoded strings: one byte < 251 is the length, 251 is NULL, and 252/253/254
    prefix a 2/3/8-byte little-endian length. With converters off this is all PyMySQL's own reader does.
    """

    def read(packet: Any) -> tuple[bytes | None, ...]:
        data, pos = packet._data, packet._position
        row: list[bytes | None] = []
        append = row.append
        for _ in range(columns):
            first = data[pos]
            if first < 251:
                pos += 1
                length = first
            elif first == 251:
                append(None)
                pos += 1
                continue
            else:
                width = {252: 2, 253: 3}.get(first, 8)
                length = int.from_bytes(data[pos + 1 : pos + 1 + width], "little")
                pos += 1 + width
            append(data[pos : pos + length])
            pos += length
        return tuple(row)

    return read


def _mysql_value(value: object) -> object:
    """Watermarks: aware datetimes become naive UTC (the session's zone); MySQL literals carry no offset."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


class MySqlExtractor:
    """Streams a statement's rows as Arrow batches through an unbuffered PyMySQL cursor."""

    def __init__(self, target: Target, batch_size: int) -> None:
        self.target = target
        self.batch_size = max(1, batch_size)
        self._active: Generator[pa.RecordBatch, None, None] | None = None
        self.conn: Any = self._connect()

    def _options(self) -> dict[str, Any]:
        """URL query parameters PyMySQL understands; anything else is refused rather than silently ignored."""
        options: dict[str, Any] = {}
        for key, value in self.target.url.query.items():
            if key not in _QUERY_OPTIONS or not isinstance(value, str):
                raise self.target.error(
                    f"unsupported URL parameter {key!r}", None, f"use only {', '.join(sorted(_QUERY_OPTIONS))}"
                )
            options[key] = value.lower() in ("1", "true", "yes") if key in _BOOLEAN_OPTIONS else value
        return options

    def _connect(self) -> Any:
        url = self.target.url
        options = self._options()
        try:
            conn = pymysql.connect(
                host=url.host or "localhost",
                port=url.port or _DEFAULT_PORT,
                user=url.username or "",
                password=url.password or "",
                database=url.database or None,
                charset=options.pop("charset", "utf8mb4"),
                **options,
                conv=_ENCODERS,
                cursorclass=pymysql.cursors.SSCursor,
                autocommit=True,
                connect_timeout=10,
            )
            with conn.cursor() as cursor:
                cursor.execute("SET time_zone = '+00:00'")
                # A slow consumer must not make the server give up writing a long stream.
                cursor.execute("SET SESSION net_write_timeout = 3600")
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
        except pymysql.MySQLError as error:
            raise self.target.error(
                "cannot connect", error, "check host, port, database and credentials in the secret"
            ) from None
        return conn

    def close(self) -> None:
        active, self._active = self._active, None
        if active is not None:
            active.close()  # an abandoned stream drops the connection itself
        self._drop_connection()

    def _drop_connection(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        bound = self.target.bind(statement, {k: _mysql_value(v) for k, v in params.items()}, sa_pymysql.dialect())
        self._active = self._stream(bound.sql, bound.params or None)
        return self._active

    def _stream(self, sql: str, values: Any) -> Generator[pa.RecordBatch, None, None]:
        if self.conn is None:
            self.conn = self._connect()
        cursor = self.conn.cursor()
        finished = False
        try:
            try:
                cursor.execute(sql, values)
                result = cursor._result  # PyMySQL keeps flags and charset only here
                names = [f.name for f in result.fields]
                types = [arrow_type(f) for f in result.fields]
                # Rows are read lazily: from here on every value arrives as raw bytes (no per-value
                # `.decode()`); Arrow validates UTF-8 and converts a whole column at once (~7% faster, measured).
                result.converters = [(None, None)] * len(result.converters)
                result._read_row_from_packet = _row_reader(len(result.fields))
            except pymysql.MySQLError as error:
                raise self.target.error("the statement failed", error, "check the query against the source") from None
            empty = True
            while True:
                try:
                    rows = cursor.fetchmany(self.batch_size)
                except pymysql.MySQLError as error:
                    raise self.target.error("the query failed while streaming rows", error) from None
                if not rows:
                    break
                empty = False
                yield self._batch(rows, names, types)
            if empty:
                yield empty_batch(pa.schema(list(zip(names, types, strict=True))))
            finished = True
        finally:
            if finished:
                cursor.close()
            else:
                # Draining an abandoned (or failed) unbuffered result would read the rest of the table: drop the
                # connection instead, and detach the cursor so its own close() does not try to drain it.
                result = getattr(cursor, "_result", None)
                if result is not None:
                    result.unbuffered_active = False  # else its __del__ drains a closed socket
                cursor.connection = None
                self._drop_connection()

    def _batch(self, rows: Sequence[Sequence[object]], names: list[str], types: list[pa.DataType]) -> pa.RecordBatch:
        columns = list(zip(*rows, strict=True))
        arrays = []
        for name, values, target in zip(names, columns, types, strict=True):
            try:
                arrays.append(_cast(values, target))
            except (pa.ArrowException, TypeError, ValueError) as error:
                raise self.target.error(f"column {name!r}: a value could not be read as {target}", error) from None
        return pa.RecordBatch.from_arrays(arrays, names=names)
