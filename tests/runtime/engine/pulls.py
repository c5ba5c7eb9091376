"""In-memory pulls for engine tests: the seam exercised with no database or server behind it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import orjson
import pyarrow as pa

from runtime.errors import SourceError
from runtime.sources import PullContext, PullOutcome, RecordFormat, SourceCommit, json_records


@dataclass
class JsonPull:
    """Yields the given records as "json" batches of `batch` records; optionally fails after `fail_after`."""

    records: Sequence[dict[str, object]]
    complete: bool = True
    deletes: Sequence[str] = ()
    carried: Sequence[str] = ()
    parts: Sequence[str] | None = None
    commit: SourceCommit | None = None
    batch: int = 3
    fail_after: int | None = None
    contexts: list[PullContext] = field(default_factory=list)
    closed: int = 0

    def __call__(self, context: PullContext) -> JsonPull:
        self.contexts.append(context)
        return self

    @property
    def record_format(self) -> RecordFormat:
        return "json"

    def batches(self) -> Iterator[pa.RecordBatch]:
        texts = [orjson.dumps(r) for r in self.records]
        for start in range(0, len(texts), self.batch):
            if self.fail_after is not None and start >= self.fail_after:
                raise SourceError(f"page {start // self.batch + 1} failed: HTTP 503")
            parts = None if self.parts is None else self.parts[start : start + self.batch]
            yield json_records(texts[start : start + self.batch], parts)

    def outcome(self) -> PullOutcome:
        return PullOutcome(complete=self.complete, deletes=self.deletes, carried_parts=self.carried, commit=self.commit)

    def close(self) -> None:
        self.closed += 1
