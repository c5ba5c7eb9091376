"""Shared by the extraction tests: plan sources for each provider, canary passwords, reading a stream."""

from __future__ import annotations

import pyarrow as pa

from compiler.plan import Secret, SqlSource
from compiler.plan.providers import PROVIDERS
from runtime.extract import Extractor

CANARY = "Canary-9d2f61-NEVER-PRINT"


def make_source(provider: str, statement: str = "SELECT 1", batch_size: int = 1000) -> SqlSource:
    row = PROVIDERS[provider]
    return SqlSource(
        kind="sql",
        provider=provider,  # type: ignore[arg-type]
        driver=row.driver,
        dialect=row.dialect,
        secret=Secret(name="test-db", env="SECRET_TEST_DB"),
        snapshot_statement=statement,
        incremental_statement=None,
        columns=None,
        batch_size=batch_size,
    )


def read_all(extractor: Extractor, statement: str, params: dict[str, object] | None = None) -> pa.Table:
    """Every batch of a statement as one table (tests only: the runtime never does this)."""
    batches = list(extractor.batches(statement, params or {}))
    assert batches, "an extractor always yields at least one batch (an empty one carries the schema)"
    return pa.Table.from_batches(batches)
