"""NDJSON files through DuckDB's `read_json` (one JSON value per line, kept as JSON): "json" records.

Each line must be an object; the file fields are merged into it by DuckDB (`json_merge_patch`), so nested
values keep their JSON types and dotted paths (`author.email`) work as for REST records. A record that already
has a file field (or `__document`, the engine's whole-document key) is refused rather than overwritten.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from runtime.errors import SourceError
from runtime.sources.files.errors import json_failure
from runtime.sources.files.headers import FILE_FIELDS

RESERVED_KEYS = (*FILE_FIELDS, "__document")
NOT_OBJECT = "file_pull: not an object"
RESERVED = "file_pull: reserved key"

READER = "read_json(?, format='newline_delimited', records=false, columns={'json': 'JSON'})"


def _checked(json: str) -> str:
    reserved = " OR ".join(f"json_exists({json}, '$.\"{key}\"')" for key in RESERVED_KEYS)
    return (
        f"CASE WHEN json_type({json}) <> 'OBJECT' THEN error('{NOT_OBJECT}')"
        f" WHEN {reserved} THEN error('{RESERVED}') ELSE {json} END"
    )


ROW_SELECT = (
    f"SELECT CAST(json_merge_patch({_checked('json')}, json_object('file_path', ?, 'file_name', ?, 'file_mtime', ?,"
    f" 'file_size_bytes', ?)) AS VARCHAR) AS __record, CAST(? AS VARCHAR) AS __part FROM {READER}"
)
"""Parameters: file_path, file_name, file_mtime, file_size_bytes, __part, then the local path."""


def _line_of_record(local: Path, ordinal: int) -> int:
    """The line number of the `ordinal`-th (1-based) JSON value: DuckDB skips blank lines, so count the others."""
    seen = 0
    with open(local, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                seen += 1
                if seen == ordinal:
                    return number
    return seen


def _first_refused(con: duckdb.DuckDBPyConnection, local: Path) -> tuple[int, str]:
    """(1-based record, what is wrong) of the first record `_checked` refuses (the error path only)."""
    reserved = ", ".join(f"json_exists(json, '$.\"{key}\"')" for key in RESERVED_KEYS)
    rows = con.execute(f"SELECT json_type(json), {reserved} FROM {READER}", [str(local)]).fetchall()
    for ordinal, (kind, *flags) in enumerate(rows, start=1):
        if kind != "OBJECT":
            return ordinal, f"is a JSON {str(kind).lower()}, not an object; write one JSON object per line"
        for key, flag in zip(RESERVED_KEYS, flags, strict=True):
            if flag:
                return ordinal, f"has the key {key!r}, which file_pull sets itself; rename it in the file"
    return len(rows), "cannot be read"


def failure(con: duckdb.DuckDBPyConnection, path: str, local: Path, error: Exception) -> SourceError:
    """The error for a failed read of one file, naming its line."""
    if NOT_OBJECT in str(error) or RESERVED in str(error):
        ordinal, what = _first_refused(con, local)
        return SourceError(
            f"file {path}, line {_line_of_record(local, ordinal)}: the record {what} (nothing was changed)"
        )
    return json_failure(path, error, lambda ordinal: _line_of_record(local, ordinal))


def rows_json(con: duckdb.DuckDBPyConnection, path: str, local: Path) -> str:
    """`file_rows_json` of an NDJSON file: its records as one JSON array."""
    try:
        rows = con.execute(f"SELECT CAST(json AS VARCHAR) FROM {READER}", [str(local)]).fetchall()
    except duckdb.Error as exc:
        raise json_failure(path, exc, lambda ordinal: _line_of_record(local, ordinal)) from None
    return "[" + ",".join(str(row[0]) for row in rows) + "]"
