"""The connector's state file: `<state-dir>/<connector>.duckdb`, attached to the run's DuckDB as `st`.

Tables (schema 2)
    meta(key, value)             schema_version, connector, hash_algorithm
    documents(id, hash, last_upserted_run, missing_since_run, deleted, deleted_at, doc, part)
                                 `doc` (the last upserted JSON) is kept only under soft_delete_only, which must
                                 re-upsert a vanished document with its mark; `part` is the source part (a file)
                                 the document came from, for sources that skip unchanged parts
    watermark(field, type, value, format)
    runs(run_id, started_at, finished_at, plan_hash, report)
    source_*                     a source's own tables (`runtime.sources.base.SourceCommit`)

"Last seen": a document was seen by every successful run since it was written, except when
`missing_since_run` names the first complete snapshot that lacked it (kept under never_delete).

A run reads the state through `known(id, idh, hash, deleted, part)` (idh = hash(id)): a view of the state's
documents, copied into memory (`hold_known`) once a run stages records that can match it, which probe it one by
one. A run that stages none (every file carried), or whose records cannot match (the state's hashes were made
another way: a one-off), reads it only a few times, each a column scan of the file, and never pays the copy:
0.1 s for a million documents, a third of such a run.
The state changes only in `commit`, in one transaction. The first commit writes a new file beside the state's
path and renames it into place only once it holds a committed run, so a crash never leaves a half-made state;
a file without a committed run (left by an earlier version) is recognised and replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import duckdb

from runtime.db import one
from runtime.errors import StateError
from runtime.state.refused import TABLE as REFUSED
from runtime.state.refused import any_refused
from runtime.state.watermark import Watermark, checked_type

if TYPE_CHECKING:  # the seam imports the watermark type from here
    from runtime.sources.base import SourceCommit

SCHEMA_VERSION = "2"
_READABLE_VERSIONS = ("1", "2")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS st.meta (key VARCHAR, value VARCHAR);
CREATE TABLE IF NOT EXISTS st.documents (
    id VARCHAR, hash UBIGINT, last_upserted_run VARCHAR, missing_since_run VARCHAR, deleted BOOLEAN,
    deleted_at TIMESTAMPTZ, doc VARCHAR, part VARCHAR);
CREATE TABLE IF NOT EXISTS st.watermark (field VARCHAR, type VARCHAR, value VARCHAR, format VARCHAR);
CREATE TABLE IF NOT EXISTS st.runs (
    run_id VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, plan_hash VARCHAR, report VARCHAR);
"""

_MIGRATE_1_TO_2 = """
ALTER TABLE st.documents ADD COLUMN part VARCHAR;
ALTER TABLE st.watermark ADD COLUMN format VARCHAR DEFAULT 'columns';
UPDATE st.meta SET value = '2' WHERE key = 'schema_version';
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
    source: SourceCommit | None = None


class StateStore:
    """Opens, reads and commits one connector's state."""

    def __init__(self, state_dir: Path, connector: str) -> None:
        self.path = state_dir / f"{connector}.duckdb"
        self.connector = connector
        self._lock: IO[str] | None = None
        self._attached = False
        self._version = SCHEMA_VERSION

    @property
    def _new_path(self) -> Path:
        return self.path.with_name(self.path.name + ".new")

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
        for leftover in (self._new_path, Path(str(self._new_path) + ".wal")):  # a first commit that crashed
            leftover.unlink(missing_ok=True)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def attach(self, con: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
        """Attach an existing state file as `st` and expose `known`; with no usable file, `known` is empty."""
        if self.path.exists() and self.path.stat().st_size > 0:
            mode = " (READ_ONLY)" if read_only else ""
            try:
                con.execute(f"ATTACH '{_sql_path(self.path)}' AS st{mode}")
            except duckdb.Error as exc:
                raise StateError(
                    f"cannot open state file {self.path}: {exc}; it is not a state file this runtime can read."
                    " Move it aside to start over (every document is then upserted once, nothing deleted)"
                ) from None
            self._attached = True
            if self._check_meta(con):
                part = "part" if self._version != "1" else "NULL::VARCHAR AS part"
                con.execute(f"CREATE VIEW known AS SELECT id, hash(id) AS idh, hash, deleted, {part} FROM st.documents")
                return
            # No committed run (a crash during an earlier version's first commit): the first commit replaces it.
            con.execute("DETACH st")
            self._attached = False
        con.execute("CREATE TABLE known (id VARCHAR, idh UBIGINT, hash UBIGINT, deleted BOOLEAN, part VARCHAR)")

    def _check_meta(self, con: duckdb.DuckDBPyConnection) -> bool:
        """True for a state with a committed run; False for a file that never got one (to be replaced)."""
        listed = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'st'").fetchall()
        tables = {str(row[0]) for row in listed}
        if not {"meta", "runs"} <= tables or one(con, "SELECT 1 FROM st.runs LIMIT 1") is None:
            if {t for t in tables if not t.startswith("source_")} - {"meta", "documents", "watermark", "runs"}:
                raise StateError(f"{self.path} is not a state file of this tool (it holds other tables)")
            return False
        meta = dict(con.execute("SELECT key, value FROM st.meta").fetchall())
        version = meta.get("schema_version")
        if version not in _READABLE_VERSIONS:
            raise StateError(
                f"{self.path} has state schema {version!r}; this runtime reads {', '.join(_READABLE_VERSIONS)}"
            )
        if meta.get("connector") != self.connector:
            raise StateError(f"{self.path} belongs to connector {meta.get('connector')!r}, not {self.connector!r}")
        self._version = str(version)
        return True

    @property
    def attached(self) -> bool:
        return self._attached

    @property
    def legacy(self) -> bool:
        """A schema-1 state, written before runs carried a commit marker."""
        return self._attached and self._version == "1"

    def hash_algorithm(self, con: duckdb.DuckDBPyConnection) -> str | None:
        if not self._attached:
            return None
        row = one(con, "SELECT value FROM st.meta WHERE key = 'hash_algorithm'")
        return None if row is None else str(row[0])

    def watermark(self, con: duckdb.DuckDBPyConnection) -> Watermark | None:
        if not self._attached:
            return None
        fmt = "format" if self._version != "1" else "'columns'"
        row = one(con, f"SELECT field, type, value, {fmt} FROM st.watermark")
        if row is None:
            return None
        return Watermark(field=row[0], type=checked_type(row[1]), text=row[2], json=row[3] == "json")

    def last_run(self, con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
        """(run id, report JSON) of the newest committed run."""
        if not self._attached:
            return None
        row = one(con, "SELECT run_id, report FROM st.runs ORDER BY run_id DESC LIMIT 1")
        return None if row is None else (str(row[0]), str(row[1]))

    def committed_runs(self, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """Every committed run id with its report JSON (for repairing legacy buckets once)."""
        if not self._attached:
            return {}
        return {str(r[0]): str(r[1]) for r in con.execute("SELECT run_id, report FROM st.runs").fetchall()}

    def commit(self, con: duckdb.DuckDBPyConnection, change: Commit) -> None:
        """Apply a run to the state in one transaction. Reads the staged `docs`, `keys`, `missing` and `refused`
        tables: a refused upsert is not recorded, so the next run sends it again; a refused delete leaves the
        document live, so the next run deletes it again."""
        created = not self._attached
        try:
            if created:
                for leftover in (self._new_path, Path(str(self._new_path) + ".wal")):
                    leftover.unlink(missing_ok=True)
                con.execute(f"ATTACH '{_sql_path(self._new_path)}' AS st")
                self._attached = True
            # Before the transaction: it edits the run's scratch tables, and one DuckDB transaction may write to
            # only one database (the state, `st`).
            _exclude_refused(con)
            if any_refused(con):  # a source commit reads `known` for them: as it was, not as being rewritten
                hold_known(con)
            con.execute("BEGIN TRANSACTION")
            con.execute(_SCHEMA)
            if created:
                con.execute(
                    "INSERT INTO st.meta VALUES ('schema_version', ?), ('connector', ?)",
                    [SCHEMA_VERSION, self.connector],
                )
            elif self._version == "1":
                con.execute(_MIGRATE_1_TO_2)
            self._write_documents(con, change)
            con.execute("DELETE FROM st.meta WHERE key = 'hash_algorithm'")
            con.execute("INSERT INTO st.meta VALUES ('hash_algorithm', ?)", [change.hash_algorithm])
            if change.watermark is not None:
                wm = change.watermark
                con.execute("DELETE FROM st.watermark")
                con.execute(
                    "INSERT INTO st.watermark VALUES (?, ?, ?, ?)",
                    [wm.field, wm.type, wm.text, "json" if wm.json else "columns"],
                )
            con.execute(
                "INSERT INTO st.runs VALUES (?, ?::TIMESTAMPTZ, now(), ?, ?)",
                [change.run_id, change.started_at, change.plan_hash, change.report_json],
            )
            if change.source is not None:
                change.source.write(con)
            con.execute("COMMIT")
        except (duckdb.Error, OSError) as exc:
            _rollback(con)
            if created:
                self._discard_new(con)
            raise StateError(f"could not commit state {self.path}: {exc}") from None
        except BaseException:
            _rollback(con)
            if created:
                self._discard_new(con)
            raise
        self._version = SCHEMA_VERSION
        if created:
            self._install_new(con)

    def _discard_new(self, con: duckdb.DuckDBPyConnection) -> None:
        with contextlib.suppress(duckdb.Error):
            con.execute("DETACH st")
        self._attached = False
        for leftover in (self._new_path, Path(str(self._new_path) + ".wal")):
            leftover.unlink(missing_ok=True)

    def _install_new(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the newly written state the connector's state: checkpointed, closed, synced, renamed."""
        try:
            con.execute("CHECKPOINT st")
            con.execute("DETACH st")
            self._attached = False
            _fsync(self._new_path)
            os.replace(self._new_path, self.path)
            _fsync(self.path.parent)
            con.execute(f"ATTACH '{_sql_path(self.path)}' AS st")
            self._attached = True
        except (duckdb.Error, OSError) as exc:
            raise StateError(f"could not install the new state file {self.path}: {exc}") from None

    @staticmethod
    def _write_documents(con: duckdb.DuckDBPyConnection, change: Commit) -> None:
        doc = "d.doc" if change.keep_docs else "NULL"
        con.execute("DELETE FROM st.documents WHERE id IN (SELECT id FROM docs)")
        # A document read again unchanged from another part (a renamed file) moves there: else the next run, which
        # carries that part without reading it, would not find it and would delete it. Carried documents are not
        # in `keys` (they stay where they are), so an unchanged re-sync that carries everything joins nothing here.
        # Before the insert: the run's new and changed documents get their part from `docs`, and a first sync's
        # million of them then need no join at all.
        con.execute(
            "UPDATE st.documents AS d SET part = k.part FROM keys k WHERE k.part IS NOT NULL AND d.id = k.id"
            " AND d.part IS DISTINCT FROM k.part"
        )
        con.execute(
            f"INSERT INTO st.documents SELECT d.id, d.hash, ?, NULL, false, NULL, {doc}, d.part FROM docs d",
            [change.run_id],
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


def hold_known(con: duckdb.DuckDBPyConnection) -> None:
    """Make `known` an in-memory copy of the state's documents (once; a no-op when it is one already)."""
    if one(con, "SELECT 1 FROM duckdb_views() WHERE database_name = 'memory' AND view_name = 'known'") is None:
        return
    con.execute("CREATE TABLE known_held AS SELECT * FROM known")
    con.execute("DROP VIEW known")
    con.execute("ALTER TABLE known_held RENAME TO known")


def _exclude_refused(con: duckdb.DuckDBPyConnection) -> None:
    """Forget what delivery did not accept, so the state still says it is to be done."""
    if any_refused(con):
        con.execute(f"DELETE FROM docs WHERE id IN (SELECT id FROM {REFUSED} WHERE operation = 'upsert')")
        con.execute(f"DELETE FROM missing WHERE id IN (SELECT id FROM {REFUSED})")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction was open
        con.execute("ROLLBACK")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sql_path(path: Path) -> str:
    return os.fspath(path).replace("'", "''")
