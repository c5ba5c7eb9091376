"""Group commit: one thread per queue writes every request waiting at that moment in one transaction, so one
fsync acknowledges many requests and throughput is not capped at one request per fsync.

A request's events and its idempotency record commit together or not at all. The key is checked again inside
the transaction, so two concurrent requests with the same key cannot both be queued: the second replays the
first's answer (same body) or gets 409 (different body), never a 500.
"""

from __future__ import annotations

import contextlib
import queue as stdqueue
import sqlite3
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import orjson

from runtime.push.door import QueuedEvent
from runtime.push.queue import connect, open_queue

MAX_GROUP = 256
"""Requests committed in one transaction at most (bounds one commit's latency)."""
IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600
"""Keys older than this are forgotten: a retry after a day is a new request."""
PURGE_EVERY_SECONDS = 600.0
CHECKPOINT_EVERY_SECONDS = 0.5
"""The WAL is copied back into the database by a thread of its own (PASSIVE: it never blocks the writer), so
no acknowledgement waits for a checkpoint's writes and fsyncs."""


_INSERT_BATCH = """
INSERT INTO events (op, raw_id, record, received_at)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?
FROM json_each(?) ORDER BY key
"""


@dataclass(frozen=True, slots=True)
class Submission:
    key: str
    body_sha256: str
    events: Sequence[QueuedEvent]
    status: int
    response: bytes
    """The answer to send once committed (and to replay for a retry of the same body)."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    response: bytes
    replayed: bool
    conflict: bool


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    body_sha256: str
    status: int
    response: bytes


class QueueWriter:
    """The one writer of a connector's queue in this process."""

    def __init__(self, path: Path, connector: str, retention_seconds: float = IDEMPOTENCY_RETENTION_SECONDS) -> None:
        self.path, self.connector = path, connector
        self.retention_seconds = retention_seconds
        self._con, self.queue_id = open_queue(path, connector)
        self._con.execute("PRAGMA wal_autocheckpoint = 0")
        self._reader = connect(path, create=False)
        self._stopping = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoints, name=f"push-wal-{connector}", daemon=True)
        self._read_lock = threading.Lock()
        self._inbox: stdqueue.SimpleQueue[tuple[Submission, Future[Answer]] | None] = stdqueue.SimpleQueue()
        self._last_purge = 0.0
        self.failed: str | None = None
        self.commits = 0
        self._thread = threading.Thread(target=self._run, name=f"push-queue-{connector}", daemon=True)
        self._thread.start()
        self._checkpointer.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self.failed is None

    def submit(self, submission: Submission) -> Future[Answer]:
        future: Future[Answer] = Future()
        self._inbox.put((submission, future))
        return future

    def stored(self, key: str) -> StoredAnswer | None:
        """The committed answer for `key`, if any (a fast path for retries; the writer checks again)."""
        with self._read_lock:
            row = self._reader.execute(
                "SELECT body_sha256, status, response FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else StoredAnswer(str(row[0]), int(row[1]), bytes(row[2]))

    def depth(self) -> int:
        """Events in the queue (drained ones are deleted after each successful run)."""
        with self._read_lock:
            row = self._reader.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Commit what was submitted, then stop (called after the server finished its requests)."""
        self._inbox.put(None)
        self._thread.join()
        self._stopping.set()
        self._checkpointer.join()
        with contextlib.suppress(sqlite3.Error):
            self._reader.close()

    def _run(self) -> None:
        try:
            while True:
                item = self._inbox.get()
                if item is None:
                    return
                group = [item]
                stop = False
                while len(group) < MAX_GROUP:
                    try:
                        more = self._inbox.get_nowait()
                    except stdqueue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    group.append(more)
                self._commit(group)
                if stop:
                    return
                self._purge()
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._con.close()

    def _checkpoints(self) -> None:
        con = connect(self.path, create=False)
        try:
            done = self.commits
            while not self._stopping.wait(CHECKPOINT_EVERY_SECONDS):
                if self.commits != done:
                    done = self.commits
                    with contextlib.suppress(sqlite3.Error):  # busy: the next round copies it
                        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            con.close()

    def _commit(self, group: list[tuple[Submission, Future[Answer]]]) -> None:
        con = self._con
        answers: list[Answer] = []
        now = time.time()
        try:
            con.execute("BEGIN IMMEDIATE")
            for submission, _ in group:
                answers.append(self._apply(submission, now))
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                con.execute("ROLLBACK")
            reason = f"the push queue {self.path} could not commit: {exc}"
            if not _transient(exc):
                self.failed = reason  # /readyz turns 503 so a load balancer stops sending here
            for _, future in group:
                future.set_exception(QueueFailure(reason))
            return
        self.commits += 1
        self.failed = None  # the queue takes writes again
        for (_, future), answer in zip(group, answers, strict=True):
            future.set_result(answer)

    def _apply(self, submission: Submission, now: float) -> Answer:
        con = self._con
        row = con.execute(
            "SELECT body_sha256, status, response FROM idempotency WHERE key = ?", (submission.key,)
        ).fetchone()
        if row is not None:
            if row[0] == submission.body_sha256:
                return Answer(int(row[1]), bytes(row[2]), replayed=True, conflict=False)
            return Answer(409, b"", replayed=False, conflict=True)
        # One statement for the whole batch: executemany would step SQLite once per event, releasing and
        # re-taking the GIL each time, and under load every re-take can wait a thread switch interval (5 ms).
        rows = orjson.dumps(
            [[e.op, e.raw_id, None if e.record is None else e.record.decode()] for e in submission.events]
        )
        con.execute(_INSERT_BATCH, (now, rows))
        con.execute(
            "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
            (submission.key, submission.body_sha256, submission.status, submission.response, now),
        )
        return Answer(submission.status, submission.response, replayed=False, conflict=False)

    def _purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        with contextlib.suppress(sqlite3.Error):  # retried at the next purge
            self._con.execute("DELETE FROM idempotency WHERE created_at < ?", (time.time() - self.retention_seconds,))


class QueueFailure(Exception):
    """The queue could not commit: the request is answered 503 and nothing of it was acknowledged."""


def _transient(exc: sqlite3.Error) -> bool:
    """Busy/locked errors pass (another process held the file too long); anything else marks the queue failed."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()
