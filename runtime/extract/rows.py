"""Row tuples -> Arrow record batches with one schema for the whole stream.

Used by the row-based paths (SQLAlchemy/pyodbc/oracledb, sqlite). A column's type comes from the cursor
description when the driver gives a Python type (pyodbc does), else from the first batch that has a value;
a column that is all NULL in the first batch becomes a string. Every later batch is converted to the locked
type, so consumers can append batches to one table.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa

_PY_TYPES: dict[type, pa.DataType] = {
    bool: pa.bool_(),
    int: pa.int64(),
    float: pa.float64(),
    str: pa.string(),
    bytes: pa.binary(),
    bytearray: pa.binary(),
    dt.datetime: pa.timestamp("us"),
    dt.date: pa.date32(),
    dt.time: pa.time64("us"),
}


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A zero-row batch: an empty result still tells the consumer its columns and types."""
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


class ConversionError(ValueError):
    """A value of a column does not fit the column's type; the message names the column."""


def type_from_description(type_code: object, precision: object, scale: object) -> pa.DataType | None:
    """The Arrow type a DB-API description promises, or None when it does not say (then infer)."""
    if not isinstance(type_code, type):
        return None
    if issubclass(type_code, decimal.Decimal):
        if isinstance(precision, int) and isinstance(scale, int) and 0 < precision <= 38 and 0 <= scale <= precision:
            return pa.decimal128(precision, scale)
        return None
    return _PY_TYPES.get(type_code)


def _infer(values: Sequence[object]) -> pa.DataType | None:
    sample = [v for v in values if v is not None]
    if not sample:
        return None
    try:
        inferred = pa.array(sample).type
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return pa.string()  # mixed types (SQLite allows them in one column): keep their text
    if pa.types.is_decimal(inferred):
        # A later batch may carry more integer digits: widen the precision, keep the scale.
        return pa.decimal128(38, min(inferred.scale, 38))
    if pa.types.is_null(inferred):
        return None
    return inferred


class RowBatcher:
    """Builds record batches from row tuples, locking each column's type on first sight."""

    def __init__(self, names: Sequence[str], types: Sequence[pa.DataType | None]) -> None:
        self.names = list(names)
        self.types: list[pa.DataType | None] = list(types)
        self._locked = False

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(n, t or pa.string()) for n, t in zip(self.names, self.types, strict=True)])

    def batch(self, rows: Sequence[Sequence[object]]) -> pa.RecordBatch:
        columns: list[Sequence[object]] = list(zip(*rows, strict=True)) if rows else [()] * len(self.names)
        if not self._locked:
            self.types = [
                t if t is not None else _infer(c) or pa.string() for t, c in zip(self.types, columns, strict=True)
            ]
            self._locked = True
        arrays = [self._column(i, values) for i, values in enumerate(columns)]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _column(self, index: int, values: Sequence[object]) -> pa.Array:
        target = self.types[index] or pa.string()
        try:
            return pa.array(values, type=target)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as first:
            if pa.types.is_string(target):
                # Drivers return UUIDs, intervals and the like as objects: their text form is the sensible value.
                return pa.array([None if v is None else str(v) for v in values], type=target)
            try:
                return pa.array(values).cast(target)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                raise ConversionError(
                    f"column {self.names[index]!r}: a value does not fit the column type {target} "
                    f"set by earlier rows ({first})"
                ) from None


def stream_rows(
    fetchmany: Callable[[int], Sequence[Sequence[Any]]],
    batcher: RowBatcher,
    batch_size: int,
    fail: Callable[[str, BaseException | str], Exception],
    driver_errors: tuple[type[BaseException], ...],
) -> Iterator[pa.RecordBatch]:
    """Batches from a DB-API style `fetchmany` until it runs dry; one typed empty batch for an empty result.

    A driver error while fetching, or a value that does not fit its column, becomes `fail(what, cause)`.
    """
    empty = True
    while True:
        try:
            rows = fetchmany(batch_size)
        except driver_errors as error:
            raise fail("the query failed while streaming rows", error) from None
        if not rows:
            break
        empty = False
        try:
            yield batcher.batch(rows)
        except ConversionError as error:
            raise fail("a value could not be converted", str(error)) from None
    if empty:
        yield batcher.batch([])
