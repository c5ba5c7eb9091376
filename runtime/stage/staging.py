"""Arrow batches -> the run's DuckDB, in chunks, with no per-row Python on the `fields` path.

Per chunk (a few batches, bounded in rows and bytes):
  1. register the Arrow table (zero copy) and compute raw id, document id, content hash and watermark in SQL
     into the temp table `ck`;
  2. append `ck` to `keys` (every extracted record: the snapshot);
  3. join `ck` with `known` (the state) and render document JSON only for new, changed or restored records:
     the lines go straight to the run's upserts file, their (id, hash, status) to `docs`. An unchanged re-sync
     therefore never builds JSON, and a first sync never holds documents in DuckDB.
Tables persist in a scratch DuckDB file, so memory stays bounded however many rows arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from compiler.plan import Plan
from runtime.db import one
from runtime.deliver.lines import LineWriter
from runtime.errors import MappingError
from runtime.map import DocumentSql, compile_mapping, render_jinja_columns

CHUNK_ROWS = 100_000
CHUNK_BYTES = 48 * 1024 * 1024
_POS = "__gs_pos"


@dataclass(frozen=True, slots=True)
class StageResult:
    """What staging saw: rows extracted and whether a watermark column type was learned."""

    rows: int
    watermark_type: str | None


def open_workspace(path: Path, memory_limit: str = "400MB") -> duckdb.DuckDBPyConnection:
    """The run's scratch DuckDB (a file, deleted with its folder after the run)."""
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{str(path.parent / 'spill').replace(chr(39), chr(39) * 2)}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _chunks(batches: Iterable[pa.RecordBatch]) -> Iterable[pa.Table]:
    pending: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        size += batch.nbytes
        if rows >= CHUNK_ROWS or size >= CHUNK_BYTES:
            yield pa.Table.from_batches(pending)
            pending, rows, size = [], 0, 0
    if pending:
        yield pa.Table.from_batches(pending)


class _Stager:
    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: Plan,
        compare_hashes: bool,
        upserts: LineWriter | None,
        keep_docs: bool,
    ) -> None:
        self.con = con
        self.plan = plan
        self.compare = compare_hashes
        self.upserts = upserts
        self.keep_docs = keep_docs
        self.sql: DocumentSql | None = None
        self.rows = 0

    def _keys(self, sql: DocumentSql) -> None:
        con = self.con
        wm_in, wm_out = (f", {sql.watermark} AS wm", ", wm") if sql.watermark else ("", "")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ck AS SELECT raw_id, CASE WHEN raw_id IS NULL OR raw_id = ''"
            f" THEN NULL ELSE {sql.id} END AS id, hash, pos{wm_out}"
            f" FROM (SELECT {sql.raw_id} AS raw_id, {sql.hash} AS hash, c.{_POS} AS pos{wm_in} FROM stage_chunk c)"
        )
        bad = one(con, "SELECT pos FROM ck WHERE id IS NULL ORDER BY pos LIMIT 1")
        if bad is not None:
            raise MappingError(
                f"record #{self.rows + int(bad[0]) + 1} of the extraction has an empty or NULL id"
                f" (id field {self.plan.mapping.id.field!r}); every record needs an id"
            )
        if not _has_table(con, "keys"):
            con.execute(f"CREATE TEMP TABLE keys AS SELECT raw_id, id, hash{wm_out} FROM ck LIMIT 0")
        con.execute(f"INSERT INTO keys SELECT raw_id, id, hash{wm_out} FROM ck")

    def _docs(self, sql: DocumentSql) -> None:
        changed = "s.id IS NULL OR s.deleted" + (" OR s.hash <> k.hash" if self.compare else " OR true")
        status = (
            "CASE WHEN s.id IS NULL THEN 'new' WHEN s.deleted AND s.hash = k.hash THEN 'restored' ELSE 'changed' END"
        )
        joined = f" FROM ck k JOIN stage_chunk c ON c.{_POS} = k.pos LEFT JOIN known s ON s.id = k.id WHERE {changed}"
        if self.upserts is None:  # dry run: count, never render
            self.con.execute(f"INSERT INTO docs SELECT k.id, k.hash, {status}, NULL{joined}")
            return
        lines = self.con.sql(
            f"SELECT k.id, k.hash, {status} AS status, {sql.document} || chr(10) AS line{joined}"
        ).to_arrow_table()
        self.upserts.write(lines.column("line"))
        self.con.register("stage_lines", lines)
        self.con.execute(
            f"INSERT INTO docs SELECT id, hash, status, {'line' if self.keep_docs else 'NULL'} FROM stage_lines"
        )
        self.con.unregister("stage_lines")

    def add(self, table: pa.Table) -> None:
        if self.sql is None:
            self.sql = compile_mapping(self.plan, table.schema)
        sql = self.sql
        table = render_jinja_columns(table, sql.jinja_templates, self.plan.mapping.id.field)
        table = table.append_column(_POS, pa.array(range(table.num_rows), pa.int64()))
        self.con.register("stage_chunk", table)
        self._keys(sql)
        self._docs(sql)
        self.con.unregister("stage_chunk")
        self.rows += table.num_rows


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name])
    return bool(row and row[0])


def stage_batches(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    batches: Iterable[pa.RecordBatch],
    *,
    compare_hashes: bool,
    upserts: LineWriter | None,
    keep_docs: bool,
    progress: Callable[[int], None] | None = None,
) -> StageResult:
    """Stage every batch; afterwards `keys` and `docs` exist (empty when nothing was extracted).

    Documents to upsert are rendered once and appended to `upserts` (None in a dry run: nothing is rendered);
    `keep_docs` also keeps their JSON in `docs` for the state (soft_delete_only needs it later).
    """
    con.execute("CREATE TEMP TABLE docs (id VARCHAR, hash UBIGINT, status VARCHAR, doc VARCHAR)")
    stager = _Stager(con, plan, compare_hashes, upserts, keep_docs)
    for table in _chunks(batches):
        stager.add(table)
        if progress is not None:
            progress(stager.rows)
    if not _has_table(con, "keys"):
        con.execute("CREATE TEMP TABLE keys (raw_id VARCHAR, id VARCHAR, hash UBIGINT)")
    wm_type = None
    if stager.sql is not None and stager.sql.watermark:
        row = one(con, "SELECT typeof(wm) FROM keys LIMIT 1")
        wm_type = None if row is None else str(row[0])
    return StageResult(rows=stager.rows, watermark_type=wm_type)
