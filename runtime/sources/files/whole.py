"""`documentMode: file`: one record per changed file.

With `content: file` the record carries the file itself: `__content` (its bytes, up to the plan's inline limit)
or `__content_uri` (its `gs://` uri, for a larger file in a bucket), and `__mime_type` from its extension among
the types the plan lists. Parsed formats add `file_content_raw` (the text) and `file_rows_json` (the rows).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence

import duckdb
import pyarrow as pa

from compiler.plan import FileSource
from runtime.errors import SourceError
from runtime.sources.base import CONTENT_COLUMN, CONTENT_URI_COLUMN, MIME_TYPE_COLUMN
from runtime.sources.files import csv_reader, ndjson_reader, parquet_reader
from runtime.sources.files.folder import FileEntry, Folder

FILE_SCHEMA = (
    ("file_path", pa.string()),
    ("file_name", pa.string()),
    ("file_mtime", pa.string()),
    ("file_size_bytes", pa.int64()),
    ("__part", pa.string()),
)
BATCH_FILES = 256
BATCH_BYTES = 64 << 20
"""A batch is flushed at this many files or bytes of content, whichever comes first."""


def whole_schema(source: FileSource) -> pa.Schema:
    fields: list[tuple[str, pa.DataType]] = list(FILE_SCHEMA)
    if source.format is not None:
        fields += [("file_content_raw", pa.string()), ("file_rows_json", pa.string())]
    if source.content == "file":
        fields += [(CONTENT_COLUMN, pa.binary()), (CONTENT_URI_COLUMN, pa.string()), (MIME_TYPE_COLUMN, pa.string())]
    return pa.schema(fields)


def _mime_type(source: FileSource, entry: FileEntry) -> str:
    extension = posixpath.splitext(entry.name)[1].lower()
    mime = dict(source.document_types).get(extension)
    if mime is None:
        accepted = ", ".join(ext for ext, _ in source.document_types)
        raise SourceError(
            f"file {entry.path}: {extension or 'a file without an extension'} is not a content type Discovery"
            f" Engine accepts ({accepted}); narrow spec.source.glob, or add a contentTemplate (nothing was changed)"
        )
    return mime


def _content(source: FileSource, folder: Folder, entry: FileEntry) -> tuple[bytes | None, str | None]:
    """(inline bytes, uri): inline up to the limit, else the bucket object's uri."""
    if entry.size <= source.inline_limit_bytes:
        return folder.read_bytes(entry), None
    uri = folder.content_uri(entry)
    if uri is None:
        raise SourceError(
            f"file {entry.path} is {entry.size:,} bytes, over the {source.inline_limit_bytes:,}-byte limit for"
            " content sent inline; keep such files in a gs:// bucket (the data store reads them by uri), or leave"
            " them out of spec.source.glob (nothing was changed)"
        )
    return None, uri


def _parsed(
    con: duckdb.DuckDBPyConnection, source: FileSource, folder: Folder, entry: FileEntry
) -> tuple[str | None, str]:
    """(file_content_raw, file_rows_json) of a parsed file."""
    with folder.local_copy(entry) as local:
        if source.format == "csv" and source.csv is not None:
            codec = csv_reader.CODECS[source.csv.encoding]
            text = csv_reader.decode_text(entry.path, local.read_bytes(), codec)
            return text, csv_reader.rows_json(con, entry.path, local, source.csv)
        if source.format == "ndjson":
            text = csv_reader.decode_text(entry.path, local.read_bytes(), "utf-8-sig")
            return text, ndjson_reader.rows_json(con, entry.path, local)
        return None, parquet_reader.rows_json(con, entry.path, local)


def whole_batches(
    con: duckdb.DuckDBPyConnection, source: FileSource, folder: Folder, changed: Sequence[FileEntry]
) -> Iterator[pa.RecordBatch]:
    schema = whole_schema(source)
    rows: list[dict[str, object]] = []
    size = 0
    yielded = False
    for entry in changed:
        row: dict[str, object] = {
            "file_path": entry.path,
            "file_name": entry.name,
            "file_mtime": entry.mtime_iso,
            "file_size_bytes": entry.size,
            "__part": entry.path,
        }
        if source.content == "file":  # the type first: a file of another type fails before anything is read
            row[MIME_TYPE_COLUMN] = _mime_type(source, entry)
            row[CONTENT_COLUMN], row[CONTENT_URI_COLUMN] = _content(source, folder, entry)
        if source.format is not None:
            row["file_content_raw"], row["file_rows_json"] = _parsed(con, source, folder, entry)
        if row.get(CONTENT_COLUMN) is not None or source.format is not None:
            size += entry.size  # the bytes, or the text and rows, are held until the batch is flushed
        rows.append(row)
        if len(rows) >= BATCH_FILES or size >= BATCH_BYTES:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            yielded, rows, size = True, [], 0
    if rows or not yielded:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)
