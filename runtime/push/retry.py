"""Pushed events whose delivery was refused, kept in the connector's state until a run delivers them.

The drain commits its queue position with the run and the queue is then trimmed, so an event Discovery Engine
refused (a document that failed its import, a delete that failed) would be gone: acknowledged, yet never sent.
Instead, the run's commit keeps the last event of each refused document in `st.source_push_retry`, inside the
state transaction, and the next drain takes them again after its own events, unless a newer event for the same
id came meanwhile (that one wins, as any later event does). Each drain consumes every kept event and the commit
keeps only the ones refused again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from runtime.db import one
from runtime.push.queue import connect
from runtime.state.refused import TABLE as REFUSED
from runtime.state.refused import any_refused

TABLE = "st.source_push_retry"
_LOOKUP_CHUNK = 500
"""Raw ids per queue lookup (SQLite binds at most 999 parameters by default)."""


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    op: str
    raw_id: str
    record: str | None
    received_at: float


def load(con: duckdb.DuckDBPyConnection, has_state: bool) -> dict[str, Event]:
    """The kept events by raw id (none before the first refusal)."""
    if not has_state:
        return {}
    exists = one(
        con, "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'st' AND table_name = 'source_push_retry'"
    )
    if exists is None or not exists[0]:
        return {}
    rows = con.execute(f"SELECT seq, op, raw_id, record, received_at FROM {TABLE} ORDER BY seq").fetchall()
    return {str(r[2]): Event(int(r[0]), str(r[1]), str(r[2]), r[3], float(r[4])) for r in rows}


def refused_raw_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The raw ids of this run's events behind the refused documents: upserts from `keys`, deletes from
    `explicit` (the engine's staged tables, `refused` among them)."""
    if not any_refused(con):
        return []
    rows = con.execute(
        f"SELECT coalesce(raw_id, id) FROM keys WHERE id IN (SELECT id FROM {REFUSED}) UNION"
        f" SELECT raw_id FROM explicit WHERE id IN (SELECT id FROM {REFUSED})"
    ).fetchall()
    return sorted(str(row[0]) for row in rows)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _LOOKUP_CHUNK):
        yield items[start : start + _LOOKUP_CHUNK]


def queued(queue: Path, raw_ids: Sequence[str], after: int, upto: int) -> dict[str, Event]:
    """The last queued event of each raw id in `(after, upto]`, still in the queue while the run commits."""
    found: dict[str, Event] = {}
    if not raw_ids:
        return found
    con = connect(queue, create=False)
    try:
        for chunk in _chunks(raw_ids):
            marks = ", ".join("?" * len(chunk))
            rows = con.execute(
                "SELECT e.seq, e.op, e.raw_id, e.record, e.received_at FROM events e JOIN (SELECT max(seq) AS seq"
                f" FROM events WHERE seq > ? AND seq <= ? AND raw_id IN ({marks}) GROUP BY raw_id) last"
                " ON e.seq = last.seq",
                (after, upto, *chunk),
            ).fetchall()
            for seq, op, raw_id, record, received_at in rows:
                found[str(raw_id)] = Event(int(seq), str(op), str(raw_id), record, float(received_at))
    finally:
        con.close()
    return found


def keep(con: duckdb.DuckDBPyConnection, events: Iterable[Event]) -> None:
    """Replace the kept events with `events` (inside the state transaction)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (seq BIGINT, op VARCHAR, raw_id VARCHAR, record VARCHAR,"
        " received_at DOUBLE)"
    )
    con.execute(f"DELETE FROM {TABLE}")
    rows = [[e.seq, e.op, e.raw_id, e.record, e.received_at] for e in events]
    if rows:
        con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)", rows)
