"""The connector's state file: `<state-dir>/<connector>.duckdb`, attached to the run's DuckDB as `st`.

Tables
    meta(key, value)             schema_version, connector, hash_algorithm
    documents(id, hash, last_upserted_run, missing_since_run, deleted, deleted_at, doc)
                                 `doc` (the last upserted JSON) is kept only under soft_delete_only, which must
                                 re-upsert a vanished document with its mark
    watermark(field, type, value)
    runs(run_id, started_at, finished_at, plan_hash, report)

"Last seen": a document was seen by every successful run since it was written, except when
`missing_since_run` names the first complete snapshot that lacked it (kept under never_delete).

A run reads the state through the in-memory temp table `known(id, idh, hash, deleted)` (idh = hash(id)). The state changes only in `commit`, in one
transaction, after the run's artifacts are in place. A missing state file is created only by that commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import duckdb

from runtime.db import one
from runtime.errors import StateError
from runtime.state.watermark import Watermark, checked_type

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS st.meta (key VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS st.documents (
    id VARCHAR, hash UBIGINT, last_upserted_run VARCHAR, missing_since_run VARCHAR, deleted BOOLEAN,
    deleted_at TIMESTAMPTZ, doc VARCHAR);
CREATE TABLE IF NOT EXISTS st.watermark (field VARCHAR, type VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS st.runs (
    run_id VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, plan_hash VARCHAR, report VARCHAR);
"""


@dataclass(frozen=True, slots=True)
class Commit:
    """What one successful run changes in the state (the staged tables name the documents)."""

    run_id: str
    plan_hash: str
    started_at: str
    report_json: str
    keep_docs: bool
    hard_delete: bool
    soft_delete: bool
    watermark: Watermark | None
    hash_algorithm: str


class StateStore:
    """Opens, reads and commits one connector's state."""

    def __init__(self, state_dir: Path, connector: str) -> None:
        self.path = state_dir / f"{connector}.duckdb"
        self.connector = connector
        self._lock: IO[str] | None = None
        self._attached = False

    def lock(self) -> None:
        """Hold an exclusive lock for the whole run: one writing run per connector."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.with_suffix(".lock"), "a")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StateError(
                f"another run of connector {self.connector!r} holds {self.path}; wait for it to finish"
            ) from None
        self._lock = handle

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def attach(self, con: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
        """Attach an existing state file as `st` and expose `known`; with no file, `known` is empty."""
        if self.path.exists():
            mode = " (READ_ONLY)" if read_only else ""
            try:
                con.execute(f"ATTACH '{_sql_path(self.path)}' AS st{mode}")
            except duckdb.Error as exc:
                raise StateError(f"cannot open state file {self.path}: {exc}") from None
            self._attached = True
            self._check_meta(con)
            # An in-memory copy: every staged chunk probes it, and a scan of the file each time costs 10x.
            con.execute("CREATE TEMP TABLE known AS SELECT id, hash(id) AS idh, hash, deleted FROM st.documents")
        else:
            con.execute("CREATE TEMP TABLE known (id VARCHAR, idh UBIGINT, hash UBIGINT, deleted BOOLEAN)")

    def _check_meta(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            meta = dict(con.execute("SELECT key, value FROM st.meta").fetchall())
        except duckdb.Error as exc:
            raise StateError(f"{self.path} is not a state file of this tool: {exc}") from None
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise StateError(
                f"{self.path} has state schema {meta.get('schema_version')!r}; this runtime reads {SCHEMA_VERSION}"
            )
        if meta.get("connector") != self.connector:
            raise StateError(f"{self.path} belongs to connector {meta.get('connector')!r}, not {self.connector!r}")

    @property
    def attached(self) -> bool:
        return self._attached

    def hash_algorithm(self, con: duckdb.DuckDBPyConnection) -> str | None:
        if not self._attached:
            return None
        row = one(con, "SELECT value FROM st.meta WHERE key = 'hash_algorithm'")
        return None if row is None else str(row[0])

    def watermark(self, con: duckdb.DuckDBPyConnection) -> Watermark | None:
        if not self._attached:
            return None
        row = one(con, "SELECT field, type, value FROM st.watermark")
        if row is None:
            return None
        return Watermark(field=row[0], type=checked_type(row[1]), text=row[2])

    def commit(self, con: duckdb.DuckDBPyConnection, change: Commit) -> None:
        """Apply a run to the state in one transaction. Reads the staged `docs`, `keys` and `missing` tables."""
        created = not self._attached
        try:
            if created:
                con.execute(f"ATTACH '{_sql_path(self.path)}' AS st")
                self._attached = True
            con.execute("BEGIN TRANSACTION")
            con.execute(_SCHEMA)
            if created:
                con.execute(
                    "INSERT INTO st.meta VALUES ('schema_version', ?), ('connector', ?)",
                    [SCHEMA_VERSION, self.connector],
                )
            self._write_documents(con, change)
            con.execute("DELETE FROM st.meta WHERE key = 'hash_algorithm'")
            con.execute("INSERT INTO st.meta VALUES ('hash_algorithm', ?)", [change.hash_algorithm])
            if change.watermark is not None:
                wm = change.watermark
                con.execute("DELETE FROM st.watermark")
                con.execute("INSERT INTO st.watermark VALUES (?, ?, ?)", [wm.field, wm.type, wm.text])
            con.execute(
                "INSERT INTO st.runs VALUES (?, ?::TIMESTAMPTZ, now(), ?, ?)",
                [change.run_id, change.started_at, change.plan_hash, change.report_json],
            )
            con.execute("COMMIT")
        except (duckdb.Error, OSError) as exc:
            _rollback(con)
            if created:
                con.execute("DETACH st") if self._attached else None
                self._attached = False
                for leftover in (self.path, Path(str(self.path) + ".wal")):
                    leftover.unlink(missing_ok=True)
            raise StateError(f"could not commit state {self.path}: {exc}") from None

    @staticmethod
    def _write_documents(con: duckdb.DuckDBPyConnection, change: Commit) -> None:
        doc = "d.doc" if change.keep_docs else "NULL"
        con.execute("DELETE FROM st.documents WHERE id IN (SELECT id FROM docs)")
        con.execute(
            f"INSERT INTO st.documents SELECT d.id, d.hash, ?, NULL, false, NULL, {doc} FROM docs d", [change.run_id]
        )
        # No per-row "seen" stamp (it would rewrite every row of a 1M-document state each run): a document is
        # seen by every run unless it has `missing_since_run`, set when a complete snapshot lacks it.
        con.execute(
            "UPDATE st.documents SET missing_since_run = NULL WHERE missing_since_run IS NOT NULL"
            " AND id IN (SELECT id FROM keys)"
        )
        con.execute(
            "UPDATE st.documents SET missing_since_run = ? WHERE missing_since_run IS NULL"
            " AND id IN (SELECT id FROM missing_all)",
            [change.run_id],
        )
        if change.hard_delete:
            con.execute("DELETE FROM st.documents WHERE id IN (SELECT id FROM missing)")
        if change.soft_delete:
            con.execute(
                "UPDATE st.documents AS d SET deleted = true, deleted_at = m.deleted_at FROM missing m"
                " WHERE d.id = m.id"
            )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open
        con.execute("ROLLBACK")


def _sql_path(path: Path) -> str:
    return os.fspath(path).replace("'", "''")
