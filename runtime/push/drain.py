"""The drain: the `Pull` of a push plan. `runtime exec` turns the queued events into one run's changes.

At open it takes a high-water mark (the queue's last seq); the run reads the events after the position its
state records, up to that mark, in order, reduced to the last event per id (an UPSERT after a DELETE of the
same id revives it; a DELETE after an UPSERT deletes it). Events queued meanwhile wait for the next run: the
server keeps appending while this reads, neither blocks the other (SQLite WAL: readers see a snapshot).

UPSERTs are yielded as "json" records; DELETE ids go to `outcome.deletes`, which the engine applies only to
documents this connector's state knows, under the delete policy. The new position is written with the run's
state commit (`st.source_push`), so a failed run drains nothing; only then are the drained events deleted
from the queue (`committed`, safe to skip: the position is the truth).

An event that fails the mapping now (the plan may have changed since it was accepted) never blocks the
queue: it goes to `st.source_push_dead_letters` with its reason, the run report names it, and the queue moves on.
An event whose delivery was refused is kept in the state and drained again by the next run (`runtime.push.retry`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from compiler.plan import PushSource
from runtime.db import one
from runtime.errors import SourceError, StateError
from runtime.push import retry
from runtime.push.door import Door, check_queued
from runtime.push.queue import check_meta, connect, queue_path, read_meta
from runtime.sources.base import PullContext, PullOutcome, RecordFormat, json_records

BATCH_RECORDS = 10_000
NAMED_DEAD_LETTERS = 10
DELETE_CHUNK = 10_000
"""Drained events are deleted from the queue this many at a time, so the server never waits long for the lock."""

_REDUCED = """
SELECT e.seq, e.op, e.raw_id, e.record, e.received_at FROM events e
JOIN (SELECT max(seq) AS seq FROM events WHERE seq > ? AND seq <= ? GROUP BY raw_id) last ON e.seq = last.seq
ORDER BY e.seq
"""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    seq: int
    raw_id: str
    reason: str
    record: str
    received_at: float


@dataclass(slots=True)
class PushCommit:
    """The drained position (and the dead letters), committed with the run; then the queue is trimmed."""

    path: Path
    queue_id: str
    start: int
    position: int
    dead_letters: list[DeadLetter] = field(default_factory=list)
    retried: dict[str, retry.Event] = field(default_factory=dict)
    """Kept events this drain took again (by raw id): refused again, they are kept again."""

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        raw_ids = retry.refused_raw_ids(con)
        found = retry.queued(self.path, raw_ids, self.start, self.position)
        kept = [found.get(raw_id) or self.retried.get(raw_id) for raw_id in raw_ids]
        retry.keep(con, [event for event in kept if event is not None])
        con.execute(
            "CREATE TABLE IF NOT EXISTS st.source_push (queue_id VARCHAR, position BIGINT, drained_at TIMESTAMPTZ)"
        )
        con.execute("DELETE FROM st.source_push")
        con.execute("INSERT INTO st.source_push VALUES (?, ?, now())", [self.queue_id, self.position])
        con.execute(
            "CREATE TABLE IF NOT EXISTS st.source_push_dead_letters (queue_id VARCHAR, seq BIGINT, raw_id VARCHAR,"
            " reason VARCHAR, record VARCHAR, received_at TIMESTAMPTZ, dead_at TIMESTAMPTZ)"
        )
        if self.dead_letters:
            con.executemany(
                "INSERT INTO st.source_push_dead_letters VALUES (?, ?, ?, ?, ?, to_timestamp(?), now())",
                [[self.queue_id, d.seq, d.raw_id, d.reason, d.record, d.received_at] for d in self.dead_letters],
            )

    def committed(self) -> None:
        with contextlib.suppress(sqlite3.Error, StateError):  # the next run's position skips them anyway
            con = connect(self.path, create=False)
            try:
                while True:
                    cursor = con.execute(
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ? LIMIT ?)",
                        (self.position, DELETE_CHUNK),
                    )
                    if cursor.rowcount < DELETE_CHUNK:
                        break
            finally:
                con.close()


def stored_position(context: PullContext) -> tuple[str | None, int]:
    """(queue_id, position) the connector's state records, or (None, 0) before the first drain."""
    if not context.has_state:
        return None, 0
    exists = one(
        context.state,
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'st' AND table_name = 'source_push'",
    )
    if exists is None or not exists[0]:
        return None, 0
    row = one(context.state, "SELECT queue_id, position FROM st.source_push")
    return (None, 0) if row is None else (str(row[0]), int(row[1]))


class PushDrain:
    """One run's drain of a connector's queue."""

    def __init__(self, context: PullContext, path: Path) -> None:
        self.context, self.path = context, path
        self.plan = context.plan
        self.door = Door(self.plan, max_record_bytes=1 << 62)  # size was checked at the door; never dead-letter on it
        self.deletes: list[str] = []
        self.dead: list[DeadLetter] = []
        self.upserts = 0
        self.superseded = 0
        self.kept: dict[str, retry.Event] = {}
        """Events refused by delivery before, by raw id: loaded at open, then the ones this drain took again (a
        newer event for the id replaces a kept one)."""
        self.con: sqlite3.Connection | None = None
        self.queue_id: str | None = None
        state_queue, self.position = stored_position(context)
        self.high_water = self.position
        if not path.exists():
            return
        self.con = connect(path, create=False)
        try:
            meta = read_meta(self.con)
            check_meta(path, meta, self.plan.name)
            self.queue_id = meta["queue_id"]
            if state_queue is not None and state_queue != self.queue_id:
                context.notes.append(
                    f"the push queue {path} was made anew since the last drain; draining it from the start"
                )
                self.position = 0
            row = self.con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            self.high_water = max(self.position, int(row[0]))
            self.kept = retry.load(context.state, context.has_state)  # here: the engine's connection is free
        except sqlite3.Error as exc:
            self.close()
            raise SourceError(f"cannot read the push queue {path}: {exc}") from None

    @property
    def record_format(self) -> RecordFormat:
        return "json"

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self.con is None or (self.high_water <= self.position and not self.kept):
            yield json_records([])
            return
        try:
            total = self.con.execute(
                "SELECT count(*) FROM events WHERE seq > ? AND seq <= ?", (self.position, self.high_water)
            ).fetchone()[0]
            cursor = self.con.execute(_REDUCED, (self.position, self.high_water))
            records: list[str] = []
            yielded = False
            while rows := cursor.fetchmany(BATCH_RECORDS):
                for seq, op, raw_id, record, received_at in rows:
                    self.kept.pop(str(raw_id), None)  # a newer event for the id replaces a kept one
                    self._take(records, int(seq), str(op), str(raw_id), record, float(received_at))
                if len(records) >= BATCH_RECORDS:
                    yield json_records(records)
                    yielded, records = True, []
                    if self.context.progress is not None:
                        self.context.progress(self.upserts)
            for event in self.kept.values():
                self._take(records, event.seq, event.op, event.raw_id, event.record, event.received_at)
            if records or not yielded:
                yield json_records(records)
        except sqlite3.Error as exc:
            raise SourceError(f"reading the push queue {self.path} failed: {exc}") from None
        self.superseded = int(total) + len(self.kept) - self.upserts - len(self.deletes) - len(self.dead)
        self._notes()

    def _take(self, records: list[str], seq: int, op: str, raw_id: str, record: str | None, received: float) -> None:
        if op == "DELETE":
            self.deletes.append(raw_id)
            return
        reason = check_queued(self.door, "UPSERT", record)
        if reason is not None:
            self.dead.append(DeadLetter(seq, raw_id, reason, record or "", received))
            return
        assert record is not None
        records.append(record)
        self.upserts += 1

    def _notes(self) -> None:
        notes = self.context.notes
        notes.append(
            f"push queue: events {self.position + 1}..{self.high_water}: {self.upserts} upserts,"
            f" {len(self.deletes)} deletes, {self.superseded} superseded by a later event for the same id"
        )
        if self.kept:
            notes.append(f"push queue: {len(self.kept)} event(s) refused by delivery before, sent again")
        for dead in self.dead[:NAMED_DEAD_LETTERS]:
            notes.append(
                f"push event {dead.seq} (id {dead.raw_id!r}) moved to the dead letters: {dead.reason};"
                " fix the record or the mapping and push it again"
            )
        if len(self.dead) > NAMED_DEAD_LETTERS:
            notes.append(
                f"... and {len(self.dead) - NAMED_DEAD_LETTERS} more dead letters (st.source_push_dead_letters)"
            )

    def outcome(self) -> PullOutcome:
        if self.queue_id is None:
            return PullOutcome(complete=False)
        commit = PushCommit(self.path, self.queue_id, self.position, self.high_water, self.dead, self.kept)
        return PullOutcome(complete=False, deletes=tuple(self.deletes), commit=commit)

    def close(self) -> None:
        if self.con is not None:
            with contextlib.suppress(sqlite3.Error):
                self.con.close()
            self.con = None


def open_push_pull(context: PullContext, source: PushSource, state_dir: Path) -> PushDrain:
    """The drain of the queue `runtime serve` keeps for this connector in `state_dir` (the token is the
    server's business; the drain needs only the queue)."""
    del source
    return PushDrain(context, queue_path(state_dir, context.plan.name))
