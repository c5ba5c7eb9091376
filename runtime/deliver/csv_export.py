"""`spec.output.format: csv`: a bucket-only export of a sql_pull query's rows as one `rows.csv` in the run's folder.

The rows are written as they stream past on their way to staging (`tee`), with a header row; nested values (a
list of principals, say) are written as JSON text, since CSV has no lists. Only for ingestion-disabled plans
(the compiler enforces it, GS125): nothing is imported from this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from runtime.errors import StateError

FILE_NAME = "rows.csv"
_INTERNAL = "__"  # engine columns (`__part`, `__content`, ...) are not the query's


def _flat(batch: pa.RecordBatch) -> pa.RecordBatch:
    columns, names = [], []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if name.startswith(_INTERNAL):
            continue
        if pa.types.is_nested(column.type):
            columns.append(pa.array([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()]))
        else:
            columns.append(column)
        names.append(name)
    return pa.RecordBatch.from_arrays(columns, names=names)


class CsvExport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: pacsv.CSVWriter | None = None
        self._schema: pa.Schema | None = None

    def tee(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            self.write(batch)
            yield batch

    def write(self, batch: pa.RecordBatch) -> None:
        flat = _flat(batch)
        try:
            if self._writer is None:
                self._schema = flat.schema
                self._writer = pacsv.CSVWriter(str(self.path), flat.schema)
            elif flat.schema != self._schema:
                flat = flat.cast(self._schema)  # a later batch typed NULLs differently
            self._writer.write_batch(flat)
        except (pa.ArrowException, OSError) as exc:
            raise StateError(f"cannot write {self.path.name}: {exc}") from None
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file; a query that returned no rows still gets an (empty) file."""
        if self._writer is not None:
            self._writer.close()
        elif not self.path.exists():
            self.path.write_bytes(b"")
