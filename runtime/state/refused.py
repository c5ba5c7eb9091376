"""Delivery's refusals, staged once as the run's temp table `refused(id, operation)`.

A document Discovery Engine refused is not done: the state must not record it, the checkpoint must not pass it,
and a source must not treat it as settled (a file holding it is read again, a pushed event behind it is kept).
The run stages the table right after delivery (empty when nothing was refused, or nothing delivered), beside
`keys`, `explicit` and `missing`, and each of those readers queries it.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from runtime.db import one

TABLE = "refused"


def stage_refused(con: duckdb.DuckDBPyConnection, failed: Iterable[tuple[str, str]]) -> None:
    """`failed`: (document id, "upsert" | "delete") pairs."""
    pairs = sorted(set(failed))
    rows = pa.table(
        {"id": pa.array([p[0] for p in pairs], pa.string()), "operation": pa.array([p[1] for p in pairs], pa.string())}
    )
    con.register("_refused_rows", rows)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT id, operation FROM _refused_rows")
    finally:
        con.unregister("_refused_rows")


def any_refused(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether delivery refused anything this run (the readers' joins are skipped when not)."""
    return one(con, f"SELECT 1 FROM {TABLE} LIMIT 1") is not None
