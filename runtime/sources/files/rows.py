"""`documentMode: row`: the rows of the run's changed files, streamed as Arrow batches in one schema.

CSV and Parquet give "columns" records holding the fields the mapping reads (a record's other fields are never
seen, so they are not materialised: the readers skip them); NDJSON gives "json" records, whole. Every record
carries `__part` (its `file_path`), and the file fields the mapping reads. A field a file lacks is null in its
rows, except the id field: a file without it fails the run, naming the file and its columns.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from compiler.plan import CsvOptions, FileSource
from runtime.errors import ConfigError, SourceError
from runtime.sources.base import PART_COLUMN, Scan, ScanPart, json_records
from runtime.sources.files import csv_reader, ndjson_reader, parquet_reader
from runtime.sources.files.errors import csv_failure, parquet_failure
from runtime.sources.files.folder import FileEntry, Folder
from runtime.sources.files.headers import FILE_FIELDS

BATCH_ROWS = 100_000
FILE_TYPES = {"file_path": "VARCHAR", "file_name": "VARCHAR", "file_mtime": "VARCHAR", "file_size_bytes": "BIGINT"}
ARROW_TYPES = {"VARCHAR": pa.string(), "BIGINT": pa.int64()}

Located = tuple[FileEntry, Path]


class Wanted:
    """The fields to yield: the mapping's data fields, then the file fields it reads, then `__part`."""

    def __init__(self, fields: Sequence[str], id_field: str) -> None:
        self.data = [name for name in fields if name not in FILE_FIELDS]
        self.files = [name for name in FILE_FIELDS if name in fields]
        self.id_field = id_field

    def sql(self) -> list[str]:
        """The file fields and `__part` as SQL, each a parameter (`params` gives the values)."""
        return [f"CAST(? AS {FILE_TYPES[name]}) AS {name}" for name in self.files] + [
            f"CAST(? AS VARCHAR) AS {PART_COLUMN}"
        ]

    def params(self, entry: FileEntry) -> list[object]:
        values = {"file_path": entry.path, "file_name": entry.name, "file_mtime": entry.mtime_iso}
        return [*(values.get(name, entry.size) for name in self.files), entry.path]

    def empty(self) -> pa.RecordBatch:
        """The batch of a run with no rows: the data fields as text, the file fields, `__part`."""
        fields = [(name, pa.string()) for name in self.data]
        fields += [(name, ARROW_TYPES[FILE_TYPES[name]]) for name in self.files] + [(PART_COLUMN, pa.string())]
        return pa.RecordBatch.from_pylist([], schema=pa.schema(fields))

    def check_id(self, path: str, columns: Sequence[str]) -> None:
        if self.id_field in self.data and self.id_field not in columns:
            shown = ", ".join(repr(name) for name in columns[:20])
            raise SourceError(
                f"file {path} has no field {self.id_field!r}, the mapping's idField (its fields: {shown}); fix the"
                " file's header, or spec.mapping.idField (with csv.normalizeHeaders, headers are snake_case)"
            )


def _csv(
    con: duckdb.DuckDBPyConnection, files: Sequence[Located], csv: CsvOptions, wanted: Wanted
) -> Iterator[pa.RecordBatch]:
    layouts = []
    for entry, local in files:  # every header first: a bad one fails the run before any row moves
        layout = csv_reader.read_layout(con, entry.path, local, csv, normalize=csv.normalize_headers)
        if layout is not None:
            wanted.check_id(entry.path, layout.names)
            layouts.append((entry, local, layout))
    yielded = False
    for entry, local, layout in layouts:
        sql = csv_reader.row_select(layout, wanted.data, wanted.sql(), csv)
        try:
            reader = con.sql(sql, params=[*wanted.params(entry), str(local)]).to_arrow_reader(BATCH_ROWS)
            for batch in reader:
                yielded = True
                yield batch
        except (duckdb.Error, OSError) as exc:
            raise csv_failure(entry.path, exc) from None
    if not yielded:
        yield wanted.empty()


_FAILED_FILE = re.compile(r"^\s*file = (.+?)\s*$", re.M)


def csv_scan(con: duckdb.DuckDBPyConnection, files: Sequence[Located], csv: CsvOptions, wanted: Wanted) -> Scan | None:
    """The rows of every file for the engine to stage in place (None when no file has a row), one `read_csv`
    over all the files that share a header: ten scans of one file each, UNION ALL, held three times the memory of
    one scan of ten files and took longer (DuckDB gives each scan its own buffers).

    Every header is read first, as for batches. DuckDB names the file an error is in (`file = ...`)."""
    groups: dict[tuple[str, ...], list[tuple[FileEntry, Path, csv_reader.CsvLayout]]] = {}
    for (entry, local), layout in zip(files, _layouts(con, files, csv), strict=True):
        if layout is not None:
            wanted.check_id(entry.path, layout.names)
            groups.setdefault(layout.names, []).append((entry, local, layout))
    if not groups:
        return None
    paths = {str(local): entry.path for entry, local in files}

    def failure(error: Exception) -> Exception | None:
        named = _FAILED_FILE.search(str(error))
        path = paths.get(named.group(1)) if named else None
        return csv_failure(path, error) if path is not None else None

    return Scan([_group_part(group, csv, wanted) for group in groups.values()], failure)


PROBE_THREADS = 2
"""Headers read at a time: each read waits on DuckDB (which releases the GIL) for one small read of one file."""


def _layouts(
    con: duckdb.DuckDBPyConnection, files: Sequence[Located], csv: CsvOptions
) -> list[csv_reader.CsvLayout | None]:
    """Every file's layout, in order; the first file (in order) that cannot be read fails."""

    def read(file: Located) -> csv_reader.CsvLayout | None:
        cursor = con.cursor()  # a connection per thread
        try:
            return csv_reader.read_layout(cursor, file[0].path, file[1], csv, normalize=csv.normalize_headers)
        finally:
            cursor.close()

    if len(files) < 2:
        return [read(file) for file in files]
    with ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="csv-header") as pool:
        return list(pool.map(read, files))


def _group_part(
    group: Sequence[tuple[FileEntry, Path, csv_reader.CsvLayout]], csv: CsvOptions, wanted: Wanted
) -> ScanPart:
    """The rows of files with one layout, each with its file fields (joined by DuckDB's `filename` column)."""
    layout = group[0][2]
    meta = ["local", *wanted.files, PART_COLUMN]
    row = "(" + ", ".join(["?", *(f"CAST(? AS {FILE_TYPES[name]})" for name in wanted.files), "?"]) + ")"
    # A row whose file is not in the list (DuckDB read another path than given) fails the run, never vanishes.
    lost = "error('a CSV row came from a file that was not listed: ' || r.filename)"
    extra = [f"m.{name}" for name in meta[1:-1]] + [f"coalesce(m.{PART_COLUMN}, {lost}) AS {PART_COLUMN}"]
    join = f" r LEFT JOIN (VALUES {', '.join([row] * len(group))}) m({', '.join(meta)}) ON r.filename = m.local"
    params: list[object] = [[str(local) for _, local, _ in group]]
    for entry, local, _ in group:
        params += [str(local), *wanted.params(entry)]
    sql = csv_reader.row_select(layout, wanted.data, extra, csv, filename=True)
    probe = csv_reader.row_select(layout, wanted.data, extra, csv, filename=True, probe=True)
    return ScanPart(sql + join, params, probe + join)


def _ndjson(con: duckdb.DuckDBPyConnection, files: Sequence[Located]) -> Iterator[pa.RecordBatch]:
    yielded = False
    for entry, local in files:
        params = [entry.path, entry.name, entry.mtime_iso, entry.size, entry.path, str(local)]
        try:
            reader = con.sql(ndjson_reader.ROW_SELECT, params=params).to_arrow_reader(BATCH_ROWS)
            for batch in reader:
                yielded = True
                yield batch
        except (duckdb.Error, OSError) as exc:
            raise ndjson_reader.failure(con, entry.path, local, exc) from None
    if not yielded:
        yield json_records([], [])


def _parquet(con: duckdb.DuckDBPyConnection, files: Sequence[Located], wanted: Wanted) -> Iterator[pa.RecordBatch]:
    if not files:
        yield wanted.empty()
        return
    present: set[str] = set()
    for entry, local in files:  # every footer first: a damaged file fails the run before any row moves
        columns = parquet_reader.columns(con, entry.path, local)
        wanted.check_id(entry.path, columns)
        present.update(columns)
    meta = pa.table(
        {
            "local": [str(local) for _, local in files],
            "file_path": [entry.path for entry, _ in files],
            "file_name": [entry.name for entry, _ in files],
            "file_mtime": [entry.mtime_iso for entry, _ in files],
            "file_size_bytes": pa.array([entry.size for entry, _ in files], pa.int64()),
        }
    )
    con.register(parquet_reader.META_VIEW, meta)
    sql = parquet_reader.row_select([local for _, local in files], wanted.data, present, wanted.files)
    try:
        reader = con.sql(sql, params=[[str(local) for _, local in files]]).to_arrow_reader(BATCH_ROWS)
        yielded = False
        for batch in reader:
            yielded = True
            yield batch
        if not yielded:
            yield pa.RecordBatch.from_pylist([], schema=reader.schema)
    except (duckdb.Error, OSError) as exc:
        failing = next((entry.path for entry, local in files if str(local) in str(exc)), files[0][0].path)
        raise parquet_failure(failing, exc) from None
    finally:
        con.unregister(parquet_reader.META_VIEW)


def row_batches(
    con: duckdb.DuckDBPyConnection,
    source: FileSource,
    folder: Folder,
    changed: Sequence[FileEntry],
    wanted: Wanted,
) -> Iterator[pa.RecordBatch]:
    """The rows of `changed`, as the fields in `wanted`."""
    with contextlib.ExitStack() as stack:
        files = [(entry, stack.enter_context(folder.local_copy(entry))) for entry in changed]
        if source.format == "csv":
            if source.csv is None:
                raise ConfigError("plan: a csv file source without csv options (rebuild the plan)")
            yield from _csv(con, files, source.csv, wanted)
        elif source.format == "ndjson":
            yield from _ndjson(con, files)
        elif source.format == "parquet":
            yield from _parquet(con, files, wanted)
        else:
            raise ConfigError("plan: rows need a file format (rebuild the plan)")
