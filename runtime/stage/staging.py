"""Arrow batches -> the run's DuckDB in one streaming query, with no per-row Python on the `fields` path.

DuckDB scans the extractor's batches as an Arrow stream (`stage_source`) and, in a single pass:
  - computes raw id, document id, id hash, content hash and watermark for every record;
  - joins them with `known` (the state), whose hash table is built once: an unchanged record is a known live
    document with the same id and content hash (the join is on two 64-bit hashes, twice as fast as on id text);
    when no record can match (a first sync, or the state's hashes were made another way) there is no join;
  - renders document JSON only for new, changed or restored records (`CASE` evaluates only those rows).
The result streams back in small Arrow batches: rendered lines go straight to the run's upserts file, every
record's keys and status to `keys`, then the upserted ones' keys to `docs` (tables in the run's scratch DuckDB,
which spills to disk past its memory limit; written through a second connection). An unchanged re-sync renders nothing; a
first sync never holds documents in memory; the cost per record does not grow with the size of the state.

Memory is bounded in bytes, not rows: batches are cut to about `SLICE_BYTES` and result batches hold about
`LINE_BYTES` of lines. Wide records (more than `WIDE_ROW_BYTES` on average, e.g. 1 MiB documents) take another
path: DuckDB's hash join reads its probe side far ahead of its output (~2,000 rows, measured: 2 GB of 1 MiB
records), so for them each batch is keyed and matched with `known` on its own, before the stream, and the
streaming query only renders (`_WideKeyer`).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from compiler.plan import Plan
from runtime.db import one
from runtime.deliver.lines import LineWriter
from runtime.errors import MappingError
from runtime.map import DocumentSql, compile_mapping, render_jinja_columns
from runtime.map.sql import ident
from runtime.sources.base import PART_COLUMN, RecordFormat, Scan
from runtime.state.store import hold_known

LINE_BATCH = 16_384
"""Most rows per result batch (fewer when records are large, see `_line_batch`)."""
LINE_BYTES = 32 << 20
SLICE_BYTES = 8 << 20
WIDE_ROW_BYTES = 64 << 10
"""Records wider than this on average take the wide path (keyed per batch) and are rendered by one DuckDB thread
(for 1 MiB documents a second thread cost 50% more peak memory and no time, measured)."""
FLUSH_ROWS = 262_144
KNOWN_BYTES_PER_DOC = 40

_KEYS = "raw_id VARCHAR, id VARCHAR, idh UBIGINT, hash UBIGINT, part VARCHAR, status VARCHAR"
_DOCS = "id VARCHAR, idh UBIGINT, hash UBIGINT, status VARCHAR, part VARCHAR, doc VARCHAR"


@dataclass(frozen=True, slots=True)
class StageOptions:
    """How a run stages its records, whether they come as batches or as a scan."""

    compare_hashes: bool
    """False when the state's hashes were made another way: every record is then upserted."""
    upserts: LineWriter | None
    """Where the documents to upsert are rendered, once each; None in a dry run (nothing is rendered)."""
    keep_docs: bool
    """Also keep their JSON in `docs` for the state (soft_delete_only needs it later)."""
    record_format: RecordFormat = "columns"
    progress: Callable[[int], None] | None = None


@dataclass(frozen=True, slots=True)
class StageResult:
    """What staging saw: rows extracted and the watermark column's DuckDB type (None without one; `JSON` for
    "json" records, whose checkpoint type is settled from the values, see `runtime.state.checkpoint`)."""

    rows: int
    watermark_type: str | None


def open_workspace(folder: Path, memory_limit_mb: int) -> duckdb.DuckDBPyConnection:
    """The run's scratch DuckDB: in memory, spilling to `folder/spill` past the memory limit.

    Not a database file: closing a file runs a checkpoint that writes the staged tables to disk only for the
    folder to be deleted (~0.2 s per 1M records).
    """
    con = duckdb.connect(":memory:")
    _configure(con, folder, memory_limit_mb)
    return con


class Workspaces(Protocol):
    """Where runs get their scratch DuckDB (`ExecOptions.workspaces`)."""

    def open(self, folder: Path, memory_limit_mb: int) -> duckdb.DuckDBPyConnection: ...

    def close(self, con: duckdb.DuckDBPyConnection) -> None: ...


class FreshWorkspaces:
    """A new in-memory database per run (`runtime exec`: one run per process)."""

    def open(self, folder: Path, memory_limit_mb: int) -> duckdb.DuckDBPyConnection:
        return open_workspace(folder, memory_limit_mb)

    def close(self, con: duckdb.DuckDBPyConnection) -> None:
        con.close()


class SharedWorkspaces:
    """One in-memory database for many runs in turn, emptied after each run.

    For processes that run many small runs one after another (the connector test harness): opening a DuckDB
    database costs tens of milliseconds, dropping a run's few tables about one. Runs must not overlap: the
    tables, the memory limit, the spill folder and the state attachment (`st`) belong to the database, and the
    run's cursors (threads) all see its default catalog."""

    def __init__(self) -> None:
        self._database = duckdb.connect(":memory:")
        self._lock = threading.Lock()

    def open(self, folder: Path, memory_limit_mb: int) -> duckdb.DuckDBPyConnection:
        self._lock.acquire()  # held until `close`: one run at a time
        try:
            con = self._database.cursor()
            _configure(con, folder, memory_limit_mb)
        except BaseException:
            self._lock.release()
            raise
        return con

    def close(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            con.execute("DETACH DATABASE IF EXISTS st")  # a run that failed between attaching and committing
            views = "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'memory' AND NOT internal"
            tables = "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'memory'"
            for kind, listing in (("VIEW", views), ("TABLE", tables)):
                for schema, name in con.execute(listing).fetchall():
                    con.execute(f"DROP {kind} IF EXISTS {ident(schema)}.{ident(name)} CASCADE")
            con.close()
        finally:
            self._lock.release()


def _configure(con: duckdb.DuckDBPyConnection, folder: Path, memory_limit_mb: int) -> None:
    con.execute(f"SET memory_limit = '{int(memory_limit_mb)}MB'")
    con.execute(f"SET temp_directory = '{str(folder / 'spill').replace(chr(39), chr(39) * 2)}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # DuckDB's own bar goes to stdout, into `--json` output


def size_memory(con: duckdb.DuckDBPyConnection, base_mb: int) -> int:
    """Give DuckDB room for the state's hash table (~40 bytes a known document) on top of the base limit.

    Staging joins every record with `known`; if that hash table does not fit, DuckDB partitions and spills
    both sides, the streamed records with all their columns included, and an unchanged re-sync of 5M rows
    takes 10x longer than of 1M. Returns the limit set, in MB.
    """
    row = one(con, "SELECT count(*) FROM known")
    known = int(row[0]) if row else 0
    limit = int(base_mb) + known * KNOWN_BYTES_PER_DOC // (1024 * 1024)
    con.execute(f"SET memory_limit = '{limit}MB'")
    return limit


class _WideKeyer:
    """Keys each batch of wide records on its own: raw id, document id, hashes and status, as extra columns.

    The query reads one slice (a few MB) joined with `known`, so the join never holds more than that slice."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: DocumentSql, match: bool) -> None:
        self.cursor = con.cursor()
        self.query = _keys_query(sql, match)

    def key(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        numbered = batch.append_column("__gs_row", pa.array(range(batch.num_rows), pa.int64()))
        self.cursor.register("wide_batch", numbered)
        try:
            keys = self.cursor.sql(self.query).to_arrow_table()
        finally:
            self.cursor.unregister("wide_batch")
        for name in _WIDE_KEYS:
            batch = batch.append_column(name, keys.column(name).combine_chunks())
        return batch

    def close(self) -> None:
        self.cursor.close()


_WIDE_KEYS = ("__gs_raw", "__gs_id", "__gs_hash", "__gs_idh", "__gs_status")


class _Source:
    """The extractor's batches, checked and completed (Jinja columns) before DuckDB reads them.

    DuckDB pulls this generator from its own threads and turns an exception into its own error type, so the
    original exception (a SourceError, a MappingError) is kept here and re-raised by `stage_batches`.
    """

    def __init__(self, plan: Plan, record_format: RecordFormat, progress: Callable[[int], None] | None) -> None:
        self.plan = plan
        self.record_format = record_format
        self.progress = progress
        self.rows = 0
        self.failure: BaseException | None = None
        self.keyer: _WideKeyer | None = None

    def prepare(self, batch: pa.RecordBatch, sql: DocumentSql) -> pa.RecordBatch:
        if self.record_format == "columns":
            self._check_ids(batch)
        if sql.jinja_templates:
            table = render_jinja_columns(
                pa.Table.from_batches([batch]),
                sql.jinja_templates,
                self._id_field,
                json_records=self.record_format == "json",
            )
            batch = table.combine_chunks().to_batches()[0] if table.num_rows else _empty(table.schema)
        self.rows += batch.num_rows
        if self.progress is not None:
            self.progress(self.rows)
        return batch

    @property
    def _id_field(self) -> str:
        return self.plan.mapping.id.field

    def _check_ids(self, batch: pa.RecordBatch) -> None:
        """A NULL or empty id names the record (by its position in the extraction)."""
        column = batch.column(self._id_field)
        bad = pc.is_null(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            bad = pc.or_kleene(bad, pc.equal(column, ""))
        first = pc.index(bad, True).as_py()
        if first >= 0:
            raise MappingError(
                f"record #{self.rows + first + 1} of the extraction has an empty or NULL id"
                f" (id field {self._id_field!r}); every record needs an id"
            )

    def stream(
        self, first: pa.RecordBatch, rest: Iterator[pa.RecordBatch], sql: DocumentSql
    ) -> Iterator[pa.RecordBatch]:
        try:
            for batch in itertools.chain([first], (self.prepare(batch, sql) for batch in rest)):
                for piece in _slices(batch):
                    yield piece if self.keyer is None else self.keyer.key(piece)
        except BaseException as exc:
            self.failure = exc
            raise


def _slices(batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    """Zero-copy slices of about SLICE_BYTES each (the whole batch when it is small)."""
    size = int(batch.nbytes)
    if size <= SLICE_BYTES or batch.num_rows <= 1:
        yield batch
        return
    rows = max(1, batch.num_rows * SLICE_BYTES // size)
    for start in range(0, batch.num_rows, rows):
        yield batch.slice(start, rows)


def _line_batch(first: pa.RecordBatch) -> int:
    """Rows per result batch so that one batch of rendered lines stays near LINE_BYTES (JSON and base64 make a
    document about 1.5x its record)."""
    per_row = 3 * int(first.nbytes) // max(1, 2 * first.num_rows) + 256
    return int(max(1, min(LINE_BATCH, LINE_BYTES // per_row)))


def _empty(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=schema)


def _keyed(sql: DocumentSql, source: str, has_part: bool = False) -> str:
    """`source` with the raw id, document id, content hash and id hash of each record added."""
    # A record without an id fails the run, naming it (for "json" records by its text: they have no row order;
    # for "columns" records by their part, a file, when staged in place).
    if sql.record_format == "json":
        missing = "error('a record has an empty or missing id: ' || left(c.__record, 300))"
    elif has_part:
        missing = f"error('a record of ' || coalesce(c.{PART_COLUMN}, '?') || ' has an empty or NULL id')"
    else:
        missing = "error('a record has an empty or NULL id')"
    raw = f"(SELECT coalesce(NULLIF({sql.raw_id}, ''), {missing}) AS __gs_raw, * FROM {sql.source(source)} c)"
    ids = f"(SELECT {sql.id} AS __gs_id, {sql.hash} AS __gs_hash, * FROM {raw} c)"
    return f"(SELECT hash(__gs_id) AS __gs_idh, * FROM {ids} c)"


# `status`: NULL unchanged, `restored` (soft-deleted, back unchanged), else `pending` (new or changed: settled
# once, after staging, in `runtime.reconcile.diff`).
_STATUS = "CASE WHEN s.hash IS NULL THEN 'pending' WHEN s.deleted THEN 'restored' END"


_KNOWN = "LEFT JOIN (SELECT idh, hash, deleted FROM known) s ON s.hash = c.__gs_hash AND s.idh = c.__gs_idh"


def _match_known(con: duckdb.DuckDBPyConnection, options: StageOptions) -> bool:
    """Whether records are matched with `known`, which is then held in memory (every record probes it).

    Not on a first sync (nothing is known), nor when the state's hashes were made another way: then every record
    is pending and staging joins nothing, with no hash table and no probe (a first sync of 1M records: ~0.1 CPU-s
    less)."""
    if not options.compare_hashes or one(con, "SELECT 1 FROM known LIMIT 1") is None:
        return False
    hold_known(con)
    return True


def _keys_query(sql: DocumentSql, match: bool) -> str:
    """Wide path: the keys and status of one batch (`wide_batch`), in its row order."""
    status, join = (_STATUS, _KNOWN) if match else ("'pending'", "")
    return (
        f"SELECT c.__gs_raw, c.__gs_id, c.__gs_hash, c.__gs_idh, {status} AS __gs_status"
        f" FROM {_keyed(sql, 'wide_batch')} c {join} ORDER BY c.__gs_row"
    )


def _query(
    sql: DocumentSql, options: StageOptions, has_part: bool, wide: bool, *, match: bool, source: str = "stage_source"
) -> str:
    """The staging query; `match`: join the records with `known` (see `_match_known`)."""
    render = options.upserts is not None
    wm = f", {sql.watermark} AS wm" if sql.watermark else ""
    part = f"CAST(c.{PART_COLUMN} AS VARCHAR)" if has_part else "NULL::VARCHAR"
    # The raw id is kept only where it differs from the document id (it names records in duplicate-id errors).
    keys = "nullif(__gs_raw, __gs_id) AS raw_id, __gs_id AS id, __gs_idh AS idh, __gs_hash AS hash"
    if wide:  # keyed and matched per batch already (`_WideKeyer`): render only
        line = f", CASE WHEN c.__gs_status IS NOT NULL THEN {sql.line} END AS line" if render else ""
        return f"SELECT {keys}, {part} AS part{wm}, c.__gs_status AS status{line} FROM {sql.source('stage_source')} c"
    if not match:
        line = f", {sql.line} AS line" if render else ""
        return f"SELECT {keys}, {part} AS part{wm}, 'pending' AS status{line} FROM {_keyed(sql, source, has_part)} c"
    line = f", CASE WHEN s.hash IS NULL OR s.deleted THEN {sql.line} END AS line" if render else ""
    return (
        f"SELECT {keys}, {part} AS part{wm}, {_STATUS} AS status{line} FROM {_keyed(sql, source, has_part)} c {_KNOWN}"
    )


class _Sink:
    """Receives the query's result batches: lines to the upserts file, every record's keys and status to `keys`.

    Rows are inserted FLUSH_ROWS at a time: each INSERT costs ~10 ms whatever its size, and the query waits while
    the sink works (an INSERT per 16K-row batch was a quarter of an unchanged re-sync's wall time). Buffered
    columns are copies: a result batch's columns share memory, and holding keys must not hold rendered lines.
    The upserted records' keys reach `docs` after the stream, in one INSERT from `keys` inside DuckDB; documents
    kept for the state (`keep_docs`) carry their JSON, so they are inserted batch by batch, never buffered.
    """

    def __init__(
        self,
        writer: duckdb.DuckDBPyConnection,
        upserts: LineWriter | None,
        keep_docs: bool,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.writer = writer
        self.rows = 0
        self.progress = progress
        self.upserts = upserts
        self.keep_docs = keep_docs and upserts is not None
        self.created = False
        self.has_watermark = False
        self.key_names = ["raw_id", "id", "idh", "hash", "part", "status"]
        self.keys = _Buffer(writer, "keys")

    def take(self, batch: pa.RecordBatch) -> None:
        if not self.created:
            self.has_watermark = "wm" in batch.schema.names
            self.key_names += ["wm"] if self.has_watermark else []
            self.writer.register("stage_result", batch.select(self.key_names))
            self.writer.execute("CREATE TABLE keys AS SELECT * FROM stage_result LIMIT 0")
            self.writer.unregister("stage_result")
            self.created = True
        self.rows += batch.num_rows
        if self.progress is not None:
            self.progress(self.rows)
        self.keys.add(_copy(batch, self.key_names))
        status = batch.column("status")
        if status.null_count == batch.num_rows:
            return
        if self.keep_docs:
            upserted = batch.select(["id", "idh", "hash", "status", "part", "line"]).filter(pc.is_valid(status))
            self.writer.register("stage_result", upserted)
            self.writer.execute("INSERT INTO docs SELECT id, idh, hash, status, part, line FROM stage_result")
            self.writer.unregister("stage_result")
        if self.upserts is not None:  # a line is rendered exactly where the status is set
            self.upserts.write(pc.drop_null(batch.column("line")))

    def flush(self) -> None:
        self.keys.flush()
        if self.created and not self.keep_docs:
            self.writer.execute(
                "INSERT INTO docs SELECT id, idh, hash, status, part, NULL FROM keys WHERE status IS NOT NULL"
            )


class _Buffer:
    """Batches waiting to be inserted into one table (columns in the table's order; missing ones NULL)."""

    def __init__(self, writer: duckdb.DuckDBPyConnection, table: str) -> None:
        self.writer, self.table = writer, table
        self.batches: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.batches.append(batch)
        self.rows += batch.num_rows
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.batches:
            names = ", ".join(self.batches[0].schema.names)
            self.writer.register("stage_buffer", pa.Table.from_batches(self.batches))
            self.writer.execute(f"INSERT INTO {self.table} ({names}) SELECT {names} FROM stage_buffer")
            self.writer.unregister("stage_buffer")
            self.batches, self.rows = [], 0


def _copy(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.concat_arrays([batch.column(n)]) for n in names], names=names)


def _close(*generators: Iterator[pa.RecordBatch]) -> None:
    for generator in generators:
        close = getattr(generator, "close", None)
        if callable(close):
            with contextlib.suppress(ValueError):  # still running in a DuckDB thread: the caller closes the extractor
                close()


def _bind_only(con: duckdb.DuckDBPyConnection, empty: pa.RecordBatch, query: str) -> None:
    """Bind the staging query over an empty batch without running it: the mapping's errors still surface."""
    con.register("stage_source", empty)
    try:
        con.sql(query)
    finally:
        con.unregister("stage_source")


def _unless_empty(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch] | None:
    """The batches after `first`, or None when `first` is empty and is the only one."""
    if first.num_rows:
        return rest
    second = next(rest, None)
    return None if second is None else itertools.chain([second], rest)


def stage_batches(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    batches: Iterable[pa.RecordBatch],
    options: StageOptions,
) -> StageResult:
    """Stage every batch; afterwards `keys` and `docs` exist (empty when nothing was extracted)."""
    con.execute(f"CREATE TABLE docs ({_DOCS})")
    source = _Source(plan, options.record_format, options.progress)
    extractor = iter(batches)
    first = next(extractor, None)
    if first is None:
        con.execute(f"CREATE TABLE keys ({_KEYS})")
        return StageResult(rows=0, watermark_type=None)
    sql = compile_mapping(plan, first.schema, options.record_format)  # checks the mapping even when nothing came
    first = source.prepare(first, sql)
    has_part = PART_COLUMN in first.schema.names
    rest = _unless_empty(first, extractor)
    if rest is None:  # an empty extraction (e.g. every file carried): no hash table of `known` for nothing
        _bind_only(con, first, _query(sql, options, has_part, False, match=True))
        con.execute(f"CREATE TABLE keys ({_KEYS})")
        return StageResult(rows=0, watermark_type=None)
    match = _match_known(con, options)
    wide = int(first.nbytes) > WIDE_ROW_BYTES * max(1, first.num_rows)
    source.keyer = _WideKeyer(con, sql, match) if wide else None
    schema = source.keyer.key(first.slice(0, 0)).schema if source.keyer is not None else first.schema
    stream = source.stream(first, rest, sql)
    sink = _Sink(con.cursor(), options.upserts, options.keep_docs)
    con.register("stage_source", pa.RecordBatchReader.from_batches(schema, stream))
    query = _query(sql, options, has_part, wide, match=match)
    try:
        _run(con, query, (), sink, _line_batch(first), wide=wide)
    except Exception:
        if source.failure is not None:  # the extractor's or the mapping's own error, not DuckDB's wrapper
            raise source.failure from None
        raise
    finally:
        con.unregister("stage_source")
        if source.keyer is not None:
            source.keyer.close()
        _close(stream, extractor)
    if source.failure is not None:
        raise source.failure
    return _staged(con, sink, source.rows, options.record_format)


def _run(
    con: duckdb.DuckDBPyConnection,
    query: str,
    params: Sequence[object],
    sink: _Sink,
    batch_rows: int,
    *,
    wide: bool,
) -> None:
    """Stream the staging query's results into the sink (closed afterwards)."""
    # The state's hash table must be the one built (once); never the stream, which would be held whole.
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    threads = one(con, "SELECT current_setting('threads')")
    if wide:
        con.execute("SET threads = 1")
    try:
        reader = con.sql(query, params=list(params) or None).to_arrow_reader(batch_rows)
        while (batch := _next_batch(reader)) is not None:
            sink.take(batch)
        sink.flush()
    finally:
        con.execute("SET disabled_optimizers = ''")
        con.execute(f"SET threads = {int(threads[0]) if threads else 1}")
        sink.writer.close()


def _next_batch(reader: pa.RecordBatchReader) -> pa.RecordBatch | None:
    """The query's next result batch (None after the last)."""
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None
    except OSError as exc:
        raise _as_duckdb_error(exc) from None


def _as_duckdb_error(error: OSError) -> duckdb.Error:
    """DuckDB's error after a query's first result batch reaches Python through pyarrow's stream as an OSError:
    it is made DuckDB's own again, to be reported as every other DuckDB error is."""
    text = str(error)
    return (duckdb.OutOfMemoryException if "Out of Memory" in text else duckdb.Error)(text)


def _staged(con: duckdb.DuckDBPyConnection, sink: _Sink, rows: int, record_format: RecordFormat) -> StageResult:
    if not sink.created:
        con.execute(f"CREATE TABLE keys ({_KEYS})")
    wm_type = None
    if sink.has_watermark:
        row = one(con, "SELECT typeof(wm) FROM keys WHERE wm IS NOT NULL LIMIT 1")
        wm_type = None if row is None else str(row[0])
    return StageResult(rows=rows, watermark_type="JSON" if record_format == "json" and wm_type else wm_type)


PROBE_ROWS = 256
"""Rows of a scan read first: its schema, and the size of its records."""


def stage_scan(con: duckdb.DuckDBPyConnection, plan: Plan, scan: Scan, options: StageOptions) -> StageResult:
    """Stage a pull's `Scan` in place: DuckDB reads the records and maps them in one query, on all its threads.

    Where the records must pass through Python (Jinja templates; wide records, keyed batch by batch), they are
    read from the scan as batches and staged by `stage_batches`, the same way."""
    try:
        first = _sample(con, scan)
        sql = compile_mapping(plan, first.schema, options.record_format)
        wide = int(first.nbytes) > WIDE_ROW_BYTES * max(1, first.num_rows)
        if sql.jinja_templates or wide or not first.num_rows:
            batches = scan_batches(con.cursor(), scan) if first.num_rows else iter([first])  # no row: the schema
            return stage_batches(con, plan, batches, options)
        con.execute(f"CREATE TABLE docs ({_DOCS})")
        match = _match_known(con, options)
        sink = _Sink(con.cursor(), options.upserts, options.keep_docs, options.progress)
        has_part = PART_COLUMN in first.schema.names
        query = _query(sql, options, has_part, False, match=match, source=f"({scan.sql})")
        _run(con, query, scan.params, sink, _line_batch(first), wide=False)
    except duckdb.Error as exc:
        raise _claimed(scan, exc) from None
    return _staged(con, sink, sink.rows, options.record_format)


def _claimed(scan: Scan, error: Exception) -> Exception:
    """The source's own error for a DuckDB error raised while reading its scan (naming the file), else the error."""
    return scan.failure(error) or error


def _sample(con: duckdb.DuckDBPyConnection, scan: Scan) -> pa.RecordBatch:
    """The first rows of the first part that has any (a sample of the whole query would start every part)."""
    probe = pa.table({})
    for part in scan.parts:
        probe = con.sql(part.probe or part.sql, params=list(part.params)).limit(PROBE_ROWS).to_arrow_table()
        if probe.num_rows:
            return probe.combine_chunks().to_batches()[0]
    return _empty(probe.schema)


def scan_batches(cursor: duckdb.DuckDBPyConnection, scan: Scan) -> Iterator[pa.RecordBatch]:
    """A scan's records as Arrow batches, on a cursor of their own (the staging query runs on the connection);
    an error names the file, as the scan says."""
    try:
        yield from cursor.sql(scan.sql, params=list(scan.params)).to_arrow_reader(LINE_BATCH)
    except duckdb.Error as exc:
        raise _claimed(scan, exc) from None
    except OSError as exc:
        raise _claimed(scan, _as_duckdb_error(exc)) from None
    finally:
        cursor.close()
