"""A fake extractor over an in-memory Arrow table: streams batches, honours `:watermark` (inclusive), can fail."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from compiler.plan import SqlSource
from runtime.errors import SourceError


@dataclass
class FakeSource:
    """Rows the fake database holds; `fail_after` raises mid-stream once that many rows were sent."""

    table: pa.Table
    watermark_column: str | None = None
    fail_after: int | None = None
    batch_rows: int = 7
    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    closed: int = 0

    def open(self, source: SqlSource, url: str) -> FakeExtractor:
        return FakeExtractor(self)


class FakeExtractor:
    def __init__(self, fake: FakeSource) -> None:
        self.fake = fake

    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]:
        fake = self.fake
        fake.calls.append((statement, dict(params)))
        table = fake.table
        if "watermark" in params and fake.watermark_column:
            value = pa.scalar(params["watermark"], table.schema.field(fake.watermark_column).type)
            table = table.filter(pc.greater_equal(table[fake.watermark_column], value))
        sent = 0
        for batch in table.to_batches(max_chunksize=fake.batch_rows):
            if fake.fail_after is not None and sent + batch.num_rows > fake.fail_after:
                raise SourceError(f"the source failed after {sent} rows: division by zero")
            sent += batch.num_rows
            yield batch

    def close(self) -> None:
        self.fake.closed += 1
