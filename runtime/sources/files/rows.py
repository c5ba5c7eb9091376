"""`documentMode: row`: the rows of the run's changed files, streamed as Arrow batches in one schema.

CSV and Parquet give "columns" records (the union of the files' fields, absent ones null); NDJSON gives "json"
records. Every record carries the file fields and `__part` (its `file_path`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from compiler.plan import CsvOptions, FileSource
from runtime.errors import ConfigError
from runtime.sources.base import PART_COLUMN, json_records
from runtime.sources.files import csv_reader, ndjson_reader, parquet_reader
from runtime.sources.files.errors import csv_failure, parquet_failure
from runtime.sources.files.folder import FileEntry, Folder

BATCH_ROWS = 100_000
FILE_SCHEMA = (
    ("file_path", pa.string()),
    ("file_name", pa.string()),
    ("file_mtime", pa.string()),
    ("file_size_bytes", pa.int64()),
    (PART_COLUMN, pa.string()),
)

Located = tuple[FileEntry, Path]


def _file_params(entry: FileEntry) -> list[object]:
    return [entry.path, entry.name, entry.mtime_iso, entry.size, entry.path]


def empty_columns(fields: Sequence[str]) -> pa.RecordBatch:
    """The batch a run with no rows yields: its fields as text, plus the file fields."""
    schema = pa.schema([*((name, pa.string()) for name in fields), *FILE_SCHEMA])
    return pa.RecordBatch.from_pylist([], schema=schema)


def _csv(
    con: duckdb.DuckDBPyConnection, files: Sequence[Located], csv: CsvOptions, fallback: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    layouts = []
    for entry, local in files:
        layout = csv_reader.read_layout(con, entry.path, local, csv, normalize=csv.normalize_headers)
        if layout is not None:
            layouts.append((entry, local, layout))
    fields = list(dict.fromkeys(name for _, _, layout in layouts for name in layout.names)) or list(fallback)
    yielded = False
    for entry, local, layout in layouts:
        sql = csv_reader.row_select(layout, fields, csv)
        try:
            reader = con.sql(sql, params=[*_file_params(entry), str(local)]).to_arrow_reader(BATCH_ROWS)
            for batch in reader:
                yielded = True
                yield batch
        except (duckdb.Error, OSError) as exc:
            raise csv_failure(entry.path, exc) from None
    if not yielded:
        yield empty_columns(fields)


def _ndjson(con: duckdb.DuckDBPyConnection, files: Sequence[Located]) -> Iterator[pa.RecordBatch]:
    yielded = False
    for entry, local in files:
        try:
            reader = con.sql(ndjson_reader.ROW_SELECT, params=[*_file_params(entry), str(local)]).to_arrow_reader(
                BATCH_ROWS
            )
            for batch in reader:
                yielded = True
                yield batch
        except (duckdb.Error, OSError) as exc:
            raise ndjson_reader.failure(con, entry.path, local, exc) from None
    if not yielded:
        yield json_records([], [])


def _parquet(
    con: duckdb.DuckDBPyConnection, files: Sequence[Located], fallback: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    if not files:
        yield empty_columns(fallback)
        return
    for entry, local in files:  # every footer first: a damaged file fails the run before any row moves
        parquet_reader.columns(con, entry.path, local)
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
    sql, params = parquet_reader.row_select([local for _, local in files])
    try:
        reader = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
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
    fallback: Sequence[str],
) -> Iterator[pa.RecordBatch]:
    """The rows of `changed`; `fallback` names the fields of the empty batch when no file has any."""
    with contextlib.ExitStack() as stack:
        files = [(entry, stack.enter_context(folder.local_copy(entry))) for entry in changed]
        if source.format == "csv":
            if source.csv is None:
                raise ConfigError("plan: a csv file source without csv options (rebuild the plan)")
            yield from _csv(con, files, source.csv, fallback)
        elif source.format == "ndjson":
            yield from _ndjson(con, files)
        elif source.format == "parquet":
            yield from _parquet(con, files, fallback)
        else:
            raise ConfigError("plan: rows need a file format (rebuild the plan)")
