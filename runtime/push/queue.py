"""The durable queue of one push connector: `<state-dir>/<connector>.push.sqlite`.

SQLite in WAL mode with `synchronous=FULL`: a COMMIT returns only after the write-ahead log is fsynced, readers
never block the writer, and several processes may use the file at once (the server appends, `runtime exec`
reads and, after its run committed, deletes what it drained). The connector's DuckDB state file is never
opened by the server: DuckDB allows one writing process per file.

Tables
    meta(key, value)                    schema_version, connector, queue_id (random, made once per file)
    events(seq, op, raw_id, record, received_at)
                                        seq is AUTOINCREMENT: strictly increasing, never reused after deletes,
                                        and since SQLite has one writer at a time, a reader that sees seq N sees
                                        every event before it
    idempotency(key, body_sha256, status, response, created_at)
                                        the first answer to each Idempotency-Key, replayed for a retry

The drained position lives in the connector's state (`st.source_push`, with the queue_id): it is the truth. A
queue file made anew gets a new queue_id, so a stale position never hides new events.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path

from runtime.errors import StateError

SCHEMA_VERSION = "1"
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op TEXT NOT NULL CHECK (op IN ('UPSERT', 'DELETE')),
    raw_id TEXT NOT NULL,
    record TEXT,
    received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    body_sha256 TEXT NOT NULL,
    status INTEGER NOT NULL,
    response BLOB NOT NULL,
    created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
"""


def queue_path(state_dir: Path, connector: str) -> Path:
    return state_dir / f"{connector}.push.sqlite"


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, fsync on every commit."""
    mode = "rwc" if create else "rw"
    try:
        con = sqlite3.connect(
            f"file:{path}?mode={mode}", uri=True, isolation_level=None, check_same_thread=False, timeout=10
        )
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        raise StateError(f"cannot open the push queue {path}: {exc}") from None
    return con


def open_queue(path: Path, connector: str) -> tuple[sqlite3.Connection, str]:
    """Create or open the queue for writing; returns the connection and the queue's id."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect(path, create=True)
    try:
        con.executescript(_SCHEMA)  # idempotent; executescript runs outside an explicit transaction
        con.execute("BEGIN IMMEDIATE")
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            meta = {"schema_version": SCHEMA_VERSION, "connector": connector, "queue_id": secrets.token_hex(8)}
            con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        con.execute("COMMIT")
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            con.execute("ROLLBACK")
        con.close()
        raise StateError(f"cannot initialise the push queue {path}: {exc}") from None
    check_meta(path, meta, connector)
    _fsync_dir(path.parent)  # the new file and its WAL are durable entries of the folder, not only their bytes
    return con, meta["queue_id"]


def check_meta(path: Path, meta: dict[str, str], connector: str) -> None:
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise StateError(f"{path} has queue schema {meta.get('schema_version')!r}; this runtime reads {SCHEMA_VERSION}")
    if meta.get("connector") != connector:
        raise StateError(f"{path} is the push queue of connector {meta.get('connector')!r}, not {connector!r}")


def read_meta(con: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM meta").fetchall()}


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
