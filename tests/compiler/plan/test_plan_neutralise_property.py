"""Property: the snapshot statement reads exactly what the incremental one reads with a watermark of -infinity.

Random WHERE clauses (AND/OR/parentheses over watermark lower bounds, BETWEEN and ordinary predicates) run on an
embedded SQLite table (the `sqlite` provider itself, not a stand-in for a server).
"""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixtures import connector, lowered

from compiler.plan import SqlSource

ROWS = [(i, i * 7 % 23, "abc"[i % 3]) for i in range(40)]  # id, ts, k
MINUS_INFINITY = -1_000_000

bounds = st.sampled_from(
    ["ts >= :watermark", "ts > :watermark", ":watermark < ts", ":watermark <= ts", "ts BETWEEN :watermark AND 15"]
)
plain = st.sampled_from(["k = 'a'", "k <> 'b'", "id < 30", "ts <= 20", "id % 2 = 0"])
leaves = st.one_of(bounds, plain)
conditions = st.recursive(
    leaves,
    lambda inner: st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    max_leaves=6,
)


def _rows(conn: sqlite3.Connection, sql: str, **params: int) -> list[tuple[int, ...]]:
    return sorted(conn.execute(sql, params).fetchall())


@settings(max_examples=150, deadline=None)
@given(conditions.filter(lambda c: ":watermark" in c))
def test_snapshot_equals_incremental_at_minus_infinity(condition: str) -> None:
    data = connector("sql_pull")
    data["spec"]["source"].update(type="sqlite", query=f"SELECT id, ts, k FROM t WHERE {condition}")
    plan = lowered(data)
    source = plan.source
    assert isinstance(source, SqlSource)
    assert source.incremental_statement is not None
    assert ":watermark" not in source.snapshot_statement
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE t (id INTEGER, ts INTEGER, k TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", ROWS)
        snapshot = _rows(conn, source.snapshot_statement)
        everything = _rows(conn, source.incremental_statement, watermark=MINUS_INFINITY)
    finally:
        conn.close()
    assert snapshot == everything, (condition, source.snapshot_statement)
