"""Small DuckDB helpers. DuckDB 2 refuses new work while a result is unread, so single rows use fetchall()."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query (the whole result is read, so the connection is free afterwards)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else None


def scalar_int(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> int:
    row = one(con, sql, params)
    return int(row[0]) if row and row[0] is not None else 0
