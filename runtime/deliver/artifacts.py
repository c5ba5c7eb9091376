"""Finish a run's files in its scratch folder; the sink then publishes the folder whole.

upserts.ndjson  one Discovery Engine Document per line: written while staging (`runtime.stage`), then the
                soft-delete re-upserts appended here
deletes.ndjson  `{"id": ...}` per line: the `missing` table under auto_delete_missing
manifest.json   plan hash, counts, watermark before/after, and the XXH3-128 and line count of each file
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from compiler.plan import Plan
from runtime.deliver.lines import LineWriter
from runtime.map.sql import literal

_BATCH_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class FileDigest:
    name: str
    lines: int
    xxh3_128: str


_BATCH_BYTES = 32 << 20


def _append(con: duckdb.DuckDBPyConnection, sql: str, writer: LineWriter, rows: int = _BATCH_ROWS) -> None:
    for batch in con.sql(sql).to_arrow_reader(rows):
        writer.write(batch.column(0))


def _rows_for(con: duckdb.DuckDBPyConnection, width_sql: str) -> int:
    """Rows per batch so that a batch of the widest lines stays near _BATCH_BYTES."""
    row = con.execute(width_sql).fetchall()
    widest = int(row[0][0] or 0) if row else 0
    return max(1, min(_BATCH_ROWS, _BATCH_BYTES // (widest + 64)))


def finish_artifacts(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    upserts: LineWriter,
    manifest: dict[str, Any],
    *,
    soft_delete: bool,
    hard_delete: bool,
) -> dict[str, FileDigest]:
    """Append soft-delete re-upserts, write deletes and the manifest next to `upserts`; returns the digests."""
    if soft_delete:
        flag = literal(plan.reconciliation.soft_delete_flag_field)
        when = literal(plan.reconciliation.soft_delete_time_field)
        _append(
            con,
            "SELECT json_merge_patch(d.doc, json_object('structData', json_object("
            f"{flag}, true, {when}, strftime(m.deleted_at, '%Y-%m-%dT%H:%M:%SZ'))))::VARCHAR || chr(10)"
            " FROM missing m JOIN st.documents d ON d.id = m.id",
            upserts,
            _rows_for(con, "SELECT max(length(d.doc)) FROM missing m JOIN st.documents d ON d.id = m.id"),
        )
    folder = upserts.path.parent
    files = {"upserts.ndjson": FileDigest("upserts.ndjson", upserts.lines, upserts.close())}
    deletes = LineWriter(folder / "deletes.ndjson")
    if hard_delete:
        _append(con, "SELECT json_object('id', id)::VARCHAR || chr(10) FROM missing ORDER BY id", deletes)
    files["deletes.ndjson"] = FileDigest("deletes.ndjson", deletes.lines, deletes.close())
    manifest = dict(manifest)
    manifest["files"] = {f.name: {"lines": f.lines, "xxh3_128": f.xxh3_128} for f in files.values()}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return files
