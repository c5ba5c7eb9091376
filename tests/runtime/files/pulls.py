"""Run a file pull on its own (no engine): the records it yields and its outcome.

`VIA` is how the records are read: "batches" (what the pull yields), or "scan" (its `Scan`, as the engine stages
CSV rows in place; a pull that has none yields batches). Tests that must hold both ways set it per test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from compiler.plan import Plan
from runtime.sources import PullContext, PullOutcome, RecordFormat, open_pull
from runtime.sources.base import ScansInPlace
from runtime.stage.staging import scan_batches
from tests.runtime.files.filerepo import FileRepo

VIA = "batches"


@dataclass
class Pulled:
    rows: list[dict[str, Any]]
    outcome: PullOutcome
    record_format: RecordFormat
    columns: list[str]
    notes: list[str]


def pull(repo: FileRepo, plan: Plan, con: duckdb.DuckDBPyConnection | None = None, has_state: bool = False) -> Pulled:
    con = con or duckdb.connect()
    notes: list[str] = []
    context = PullContext(
        plan=plan,
        secrets={},
        checkpoint=None,
        state=con,
        has_state=has_state,
        dry_run=False,
        source_root=repo.root,
        notes=notes,
    )
    opened = open_pull(context)
    try:
        scan = opened.scan() if VIA == "scan" and isinstance(opened, ScansInPlace) else None
        batches = list(opened.batches() if scan is None else scan_batches(con.cursor(), scan))
        outcome = opened.outcome()
    finally:
        opened.close()
    assert batches, "a pull yields at least one batch"
    assert len({batch.schema for batch in batches}) == 1, "every batch has the same schema"
    rows = [row for batch in batches for row in batch.to_pylist()]
    return Pulled(rows, outcome, opened.record_format, batches[0].schema.names, notes)
