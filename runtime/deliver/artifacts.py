"""Write a run's files from the staged tables, streaming Arrow buffers straight to disk.

upserts.ndjson  one Discovery Engine Document per line: the `docs` table, then soft-delete re-upserts
deletes.ndjson  `{"id": ...}` per line: the `missing` table under auto_delete_missing
manifest.json   plan hash, counts, watermark before/after, and the SHA-256 and line count of each file

DuckDB renders each line (JSON text + newline), so a batch of lines is one contiguous Arrow buffer: writing it is
a single `write`, with no per-row Python.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from compiler.plan import Plan
from runtime.map.sql import literal

_BATCH_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class FileDigest:
    name: str
    lines: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ArtifactFiles:
    upserts: FileDigest
    deletes: FileDigest


def _line_bytes(column: pa.Array) -> memoryview | bytes:
    """The concatenated values of a string column without nulls, as one buffer."""
    if column.type not in (pa.string(), pa.large_string()):
        column = column.cast(pa.large_string())
    if len(column) == 0:
        return b""
    offsets = memoryview(column.buffers()[1]).cast("q" if column.type == pa.large_string() else "i")
    start, end = offsets[column.offset], offsets[column.offset + len(column)]
    data = column.buffers()[2]
    return memoryview(data)[start:end] if data is not None else b""


def _write_lines(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> FileDigest:
    digest = hashlib.sha256()
    lines = 0
    reader = con.sql(sql).to_arrow_reader(_BATCH_ROWS)
    with open(path, "wb") as out:
        for batch in reader:
            chunk = _line_bytes(batch.column(0))
            out.write(chunk)
            digest.update(chunk)
            lines += batch.num_rows
    return FileDigest(name=path.name, lines=lines, sha256=digest.hexdigest())


def write_artifacts(
    con: duckdb.DuckDBPyConnection, plan: Plan, folder: Path, manifest: dict[str, Any], *, soft_delete: bool
) -> ArtifactFiles:
    """Write the three files into `folder` (which the sink then publishes)."""
    upserts_sql = "SELECT doc || chr(10) FROM docs"
    if soft_delete:
        flag = literal(plan.reconciliation.soft_delete_flag_field)
        when = literal(plan.reconciliation.soft_delete_time_field)
        upserts_sql += (
            " UNION ALL SELECT json_merge_patch(d.doc, json_object('structData', json_object("
            f"{flag}, true, {when}, strftime(m.deleted_at, '%Y-%m-%dT%H:%M:%SZ'))))::VARCHAR || chr(10)"
            " FROM missing m JOIN st.documents d ON d.id = m.id"
        )
    upserts = _write_lines(con, upserts_sql, folder / "upserts.ndjson")
    deletes_sql = "SELECT json_object('id', id)::VARCHAR || chr(10) FROM missing"
    deletes = _write_lines(con, deletes_sql if not soft_delete else deletes_sql + " LIMIT 0", folder / "deletes.ndjson")
    files = ArtifactFiles(upserts=upserts, deletes=deletes)
    manifest = dict(manifest)
    manifest["files"] = {f.name: {"lines": f.lines, "sha256": f.sha256} for f in (upserts, deletes)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return files
