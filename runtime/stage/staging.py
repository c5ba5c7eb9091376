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

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from compiler.plan import Plan
from runtime.db import one
from runtime.deliver.lines import LineWriter
from runtime.errors import MappingError
from runtime.map import DocumentSql, compile_mapping, render_jinja_columns

CHUNK_ROWS = 64_000
CHUNK_BYTES = 24 * 1024 * 1024
LINE_BATCH = 16_384
_POS = "__gs_pos"
_POSITIONS: list[pa.Array] = [pa.array([], pa.int64())]


def _positions(count: int) -> pa.Array:
    """0..count-1 as an Arrow column: a zero-copy slice of one cached array (building it costs ~80 ns a row)."""
    if len(_POSITIONS[0]) < count:
        _POSITIONS[0] = pa.array(range(max(count, CHUNK_ROWS * 2)), pa.int64())
    return _POSITIONS[0].slice(0, count)


@dataclass(frozen=True, slots=True)
class StageResult:
    """What staging saw: rows extracted and whether a watermark column type was learned."""

    rows: int
    watermark_type: str | None


def open_workspace(path: Path, memory_limit: str = "128MB") -> duckdb.DuckDBPyConnection:
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
        self.has_keys = False

    def _check_ids(self, table: pa.Table) -> None:
        """A NULL or empty id names the record (by its position in the extraction)."""
        column = table.column(self.plan.mapping.id.field)
        bad = pc.is_null(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            bad = pc.or_kleene(bad, pc.equal(column, ""))
        first = pc.index(bad, True).as_py()
        if first >= 0:
            raise MappingError(
                f"record #{self.rows + first + 1} of the extraction has an empty or NULL id"
                f" (id field {self.plan.mapping.id.field!r}); every record needs an id"
            )

    def _keys(self, sql: DocumentSql) -> None:
        """Append the chunk's keys, each with its verdict against the state, in one pass over the chunk.

        Unchanged = a known live document with the same id and content hash: the join is on two 64-bit hashes
        (id and content), twice as fast as on the id text. `status` is NULL for unchanged records, `restored`
        for a soft-deleted one back unchanged, else `pending` (new or changed: settled once, after staging,
        in `runtime.reconcile.diff`).
        """
        raw = f"(SELECT {sql.raw_id} AS __gs_raw, * FROM stage_chunk c)"
        ids = f"(SELECT {sql.id} AS __gs_id, {sql.hash} AS __gs_hash, * FROM {raw} c)"
        keyed = f"(SELECT hash(__gs_id) AS __gs_idh, * FROM {ids} c)"
        match = "s.hash = c.__gs_hash AND s.idh = c.__gs_idh" if self.compare else "false"
        wm = f", {sql.watermark} AS wm" if sql.watermark else ""
        # The raw id is kept only where it differs from the document id (it names records in errors).
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE ck AS SELECT nullif(__gs_raw, __gs_id) AS raw_id, __gs_id AS id,"
            " __gs_idh AS idh, __gs_hash AS hash,"
            " CASE WHEN s.hash IS NULL THEN 'pending' WHEN s.deleted THEN 'restored' END AS status,"
            f" c.{_POS}::INTEGER AS pos{wm} FROM {keyed} c LEFT JOIN known s ON {match}"
        )
        if not self.has_keys:
            self.con.execute(
                f"CREATE TEMP TABLE keys AS SELECT raw_id, id, idh, hash{', wm' if wm else ''} FROM ck LIMIT 0"
            )
            self.has_keys = True
        self.con.execute(f"INSERT INTO keys SELECT raw_id, id, idh, hash{', wm' if wm else ''} FROM ck")

    def _docs(self, sql: DocumentSql) -> None:
        """Render the chunk's new, changed and restored documents (none at all in an unchanged re-sync)."""
        pending = one(self.con, "SELECT count(*) FROM ck WHERE status IS NOT NULL")
        if not pending or not pending[0]:
            return  # nothing to render: skip the join that would copy the whole chunk
        picked = (
            f"(SELECT k.id AS __gs_id, k.idh, k.hash, k.status, c.* FROM ck k JOIN stage_chunk c"
            f" ON c.{_POS} = k.pos WHERE k.status IS NOT NULL) c"
        )
        keys = "c.__gs_id AS id, c.idh, c.hash, c.status"
        if self.upserts is None:  # dry run: count, never render
            self.con.execute(f"INSERT INTO docs SELECT {keys}, NULL FROM {picked}")
            return
        # Streamed in small batches: a chunk's rendered documents never sit in memory all at once.
        rendered = f"SELECT {keys}, {sql.document} || chr(10) AS line FROM {picked}"
        kept: list[pa.RecordBatch] = []
        for batch in self.con.sql(rendered).to_arrow_reader(LINE_BATCH):
            self.upserts.write(batch.column("line"))
            kept.append(batch if self.keep_docs else batch.drop_columns(["line"]))
        if not kept:
            return
        self.con.register("stage_lines", pa.Table.from_batches(kept))
        self.con.execute(
            f"INSERT INTO docs SELECT id, idh, hash, status, {'line' if self.keep_docs else 'NULL'} FROM stage_lines"
        )
        self.con.unregister("stage_lines")

    def add(self, table: pa.Table) -> None:
        if self.sql is None:
            self.sql = compile_mapping(self.plan, table.schema)
        sql = self.sql
        self._check_ids(table)
        table = render_jinja_columns(table, sql.jinja_templates, self.plan.mapping.id.field)
        self.con.register("stage_chunk", table.append_column(_POS, _positions(table.num_rows)))
        self._keys(sql)
        self._docs(sql)
        self.con.unregister("stage_chunk")
        self.rows += table.num_rows


def _pipeline(stager: _Stager, batches: Iterable[pa.RecordBatch], progress: Callable[[int], None] | None) -> None:
    """Stage chunks in a worker thread while this thread pulls (and parses) the next one from the extractor.

    Both sides release the GIL (driver I/O and Arrow parsing here, DuckDB there), so on two cores they overlap.
    The extractor is only ever iterated from this thread; the DuckDB connection only from the worker until it
    is joined. One chunk waits at most, which bounds memory. A failure on either side stops both and is raised
    here unchanged.
    """
    work: queue.Queue[pa.Table | None] = queue.Queue(maxsize=1)
    failure: list[BaseException] = []

    def stage() -> None:
        while (table := work.get()) is not None:
            if failure:
                continue  # drain: the run is failing
            try:
                stager.add(table)
                if progress is not None:
                    progress(stager.rows)
            except BaseException as exc:
                failure.append(exc)

    worker = threading.Thread(target=stage, name="stage", daemon=True)
    worker.start()
    try:
        for table in _chunks(batches):
            if failure:
                break
            work.put(table)
    finally:
        work.put(None)
        worker.join()
        close = getattr(batches, "close", None)
        if failure and callable(close):
            close()  # stop the extractor's stream now, not at garbage collection
    if failure:
        raise failure[0]


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
    con.execute("CREATE TEMP TABLE docs (id VARCHAR, idh UBIGINT, hash UBIGINT, status VARCHAR, doc VARCHAR)")
    stager = _Stager(con, plan, compare_hashes, upserts, keep_docs)
    _pipeline(stager, batches, progress)
    if not stager.has_keys:
        con.execute("CREATE TEMP TABLE keys (raw_id VARCHAR, id VARCHAR, idh UBIGINT, hash UBIGINT)")
    wm_type = None
    if stager.sql is not None and stager.sql.watermark:
        row = one(con, "SELECT typeof(wm) FROM keys LIMIT 1")
        wm_type = None if row is None else str(row[0])
    return StageResult(rows=stager.rows, watermark_type=wm_type)
