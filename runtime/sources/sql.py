"""`sql_pull`: one SELECT per run, through the provider's extractor (`runtime.extract`).

Which statement runs is the source's watermark handling: a snapshot plan always reads everything; an incremental
plan binds `:watermark` to the committed checkpoint (or to `watermarkInitial` on the first run) and reads only
what changed, and then absence proves nothing. A first incremental run with no starting point reads everything
once, still not a complete snapshot for deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

import pyarrow as pa

from compiler.plan import Plan, SqlSource
from runtime.errors import ConfigError
from runtime.sources.base import PullContext, PullOutcome, RecordFormat
from runtime.state.watermark import Watermark


class Extractor(Protocol):
    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...


OpenExtractor = Callable[[SqlSource, str], Extractor]


def _default_open_extractor(source: SqlSource, url: str) -> Extractor:
    from runtime.extract import open_extractor

    extractor: Extractor = open_extractor(source, url)
    return extractor


def choose_statement(plan: Plan, source: SqlSource, before: Watermark | None) -> tuple[str, dict[str, object], bool]:
    """(statement, binds, complete snapshot?) for this run."""
    if plan.extraction.kind == "snapshot":
        return source.snapshot_statement, {}, True
    if source.incremental_statement is None:
        raise ConfigError(f"plan {plan.name}: incremental extraction without an incremental statement")
    if before is not None:
        return source.incremental_statement, {"watermark": before.bind_value()}, False
    if plan.extraction.watermark_initial is not None:
        return source.incremental_statement, {"watermark": plan.extraction.watermark_initial}, False
    return source.snapshot_statement, {}, False


class SqlPull:
    """Streams the chosen statement's rows as typed Arrow columns."""

    def __init__(self, context: PullContext, source: SqlSource, open_extractor: OpenExtractor) -> None:
        self.context, self.source = context, source
        self.statement, self.binds, self.complete = choose_statement(context.plan, source, context.checkpoint)
        self.extractor = open_extractor(source, context.secrets[source.secret.name])

    @property
    def record_format(self) -> RecordFormat:
        return "columns"

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self.extractor.batches(self.statement, self.binds)

    def outcome(self) -> PullOutcome:
        return PullOutcome(complete=self.complete)

    def close(self) -> None:
        self.extractor.close()


def open_sql_pull(context: PullContext, source: SqlSource, open_extractor: OpenExtractor | None = None) -> SqlPull:
    return SqlPull(context, source, open_extractor or _default_open_extractor)
