"""RowBatcher: one schema for the whole stream, typed from the description or the first values."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pyarrow as pa
import pytest

from runtime.extract.rows import ConversionError, RowBatcher, empty_batch, type_from_description


def test_description_types_win() -> None:
    assert type_from_description(int, 10, 0) == pa.int64()
    assert type_from_description(decimal.Decimal, 12, 2) == pa.decimal128(12, 2)
    assert type_from_description(decimal.Decimal, 60, 2) is None  # too wide: infer from values
    assert type_from_description(dt.datetime, None, None) == pa.timestamp("us")
    assert type_from_description("DB_TYPE_NUMBER", None, None) is None


def test_schema_locks_on_first_batch_and_all_null_column_is_text() -> None:
    batcher = RowBatcher(["id", "note", "at"], [None, None, None])
    first = batcher.batch([(1, None, dt.datetime(2024, 1, 1)), (2, None, None)])
    second = batcher.batch([(3, "later text", dt.datetime(2024, 1, 2))])
    assert first.schema == second.schema
    assert first.schema.field("note").type == pa.string()
    assert second.column(1).to_pylist() == ["later text"]


def test_objects_become_text_and_decimals_widen() -> None:
    token = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    batcher = RowBatcher(["uid", "amount"], [pa.string(), None])
    batcher.batch([(token, decimal.Decimal("1.5"))])
    later = batcher.batch([(None, decimal.Decimal("123456789.5"))])
    assert later.schema.field("amount").type == pa.decimal128(38, 1)
    assert later.column(1).to_pylist() == [decimal.Decimal("123456789.5")]
    assert batcher.batch([(token, None)]).column(0).to_pylist() == [str(token)]


def test_mixed_types_in_first_batch_fall_back_to_text() -> None:
    batcher = RowBatcher(["v"], [None])
    assert batcher.batch([(1,), ("two",)]).schema.field("v").type == pa.string()


def test_value_that_does_not_fit_names_the_column() -> None:
    batcher = RowBatcher(["id", "score"], [None, None])
    batcher.batch([(1, 1.5)])
    with pytest.raises(ConversionError, match="column 'score'"):
        batcher.batch([(2, "not a number")])


def test_empty_batch_keeps_schema() -> None:
    schema = pa.schema([("id", pa.int64()), ("tags", pa.list_(pa.string()))])
    batch = empty_batch(schema)
    assert batch.num_rows == 0
    assert batch.schema == schema
