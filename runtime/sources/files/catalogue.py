"""The file catalogue: which files the last committed run read, so that unchanged ones are not parsed again.

`st.source_files(path, size_bytes, mtime_ns, content_hash, reader)`: one row per file of the last committed
snapshot. `reader` fingerprints how its records were made (the plan's source, mapping and watermark field): a
file is carried over only when its size, modification time and content hash are the same AND it would be read
the same way. The table is replaced by the run's commit (`SourceCommit.write`), inside the state transaction, so
it changes exactly when the documents do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from compiler.plan import Plan, to_data
from runtime.state.refused import TABLE as REFUSED
from runtime.state.refused import any_refused

TABLE = "st.source_files"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    path: str
    size_bytes: int
    mtime_ns: int
    content_hash: str


def reader_fingerprint(plan: Plan) -> str:
    """A hash of everything that decides a file's records: re-reading is needed when any of it changes."""
    decisive = {
        "source": to_data(plan.source),
        "mapping": to_data(plan.mapping),
        "watermark": plan.extraction.watermark_field,
    }
    return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()


def load_catalogue(con: duckdb.DuckDBPyConnection, has_state: bool, reader: str) -> dict[str, CatalogueEntry]:
    """The committed catalogue rows read by `reader` (none without state, or before the first file run)."""
    if not has_state:
        return {}
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'st' AND table_name = 'source_files'"
    ).fetchall()
    if not exists or not exists[0][0]:
        return {}
    rows = con.execute(
        f"SELECT path, size_bytes, mtime_ns, content_hash FROM {TABLE} WHERE reader = ?", [reader]
    ).fetchall()
    return {str(r[0]): CatalogueEntry(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows}


class CatalogueCommit:
    """Replaces the catalogue with this run's files when the run commits."""

    def __init__(self, entries: Sequence[CatalogueEntry], reader: str) -> None:
        self.entries = entries
        self.reader = reader

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (path VARCHAR PRIMARY KEY, size_bytes BIGINT, mtime_ns BIGINT,"
            " content_hash VARCHAR, reader VARCHAR)"
        )
        con.execute(f"DELETE FROM {TABLE}")
        # A file is carried next time only if the state now holds what this run made of it: a document whose
        # upsert (this run's record, in `keys`) or delete (a known document, in `known`) delivery refused is
        # still to be done, and its file must be read again, else carrying it would count the document as seen.
        pending = _refused_parts(con)
        entries = [e for e in self.entries if e.path not in pending]
        if not entries:
            return
        rows = pa.table(
            {
                "path": [e.path for e in entries],
                "size_bytes": pa.array([e.size_bytes for e in entries], pa.int64()),
                "mtime_ns": pa.array([e.mtime_ns for e in entries], pa.int64()),
                "content_hash": [e.content_hash for e in entries],
                "reader": [self.reader] * len(entries),
            }
        )
        con.register("_source_files_rows", rows)
        try:
            con.execute(f"INSERT INTO {TABLE} SELECT * FROM _source_files_rows")
        finally:
            con.unregister("_source_files_rows")

    def committed(self) -> None:
        """Nothing to release: the files are never moved or deleted."""


def _refused_parts(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The parts (files) the refused documents came from this run, or were known from before it."""
    if not any_refused(con):
        return set()
    rows = con.execute(
        f"SELECT part FROM keys WHERE id IN (SELECT id FROM {REFUSED}) UNION"
        f" SELECT part FROM known WHERE id IN (SELECT id FROM {REFUSED})"
    ).fetchall()
    return {str(row[0]) for row in rows if row[0] is not None}
