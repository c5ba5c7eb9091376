"""CSV files through DuckDB's `read_csv`, with every option explicit and no dialect sniffing.

Each file is read twice by DuckDB: its first record alone (the header, or the field count without one), then
all of it with exactly that many text columns, so the parser itself reports a bad line ("line 5: value with
unterminated quote") instead of a sniffer's guess. Every value is text, as in any CSV; an empty cell reads as
null, and with `cleanErrors` so does a cell starting with the word `#ERROR`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from compiler.plan import CsvOptions
from runtime.errors import SourceError
from runtime.sources.files.errors import csv_failure
from runtime.sources.files.headers import field_names

PROBE_WIDTHS = (64, 4096)
"""Columns offered to the first-record read; a wider header is retried with the next width."""
PROBE_BUFFER = 2 << 20
"""Bytes the first-record read takes in at once: DuckDB's longest line by default (its default buffer is 16 times
that, and reading it took half the time of a 10-file folder's header reads)."""
PROBE_NULL = "\x01"
"""A null marker no header contains, so an empty header cell reads as '' and a padded one as NULL."""
CODECS = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "latin-1": "latin-1"}
"""The plan's encoding -> Python's codec for a file's whole text (`file_content_raw`); UTF-8 drops a BOM."""


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dialect(csv: CsvOptions) -> str:
    return (
        f"delim={literal(csv.delimiter)}, quote={literal(csv.quote)}, escape={literal(csv.escape)},"
        f" encoding={literal(csv.encoding)}, comment='', skip=0, strict_mode=true, ignore_errors=false"
    )


def _columns(count: int) -> str:
    return "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(count)) + "}"


def reader(csv: CsvOptions, count: int, *, filename: bool = False, probe: bool = False) -> str:
    """The `read_csv(?, ...)` call for files with `count` fields (the path, or a list of them, is the one
    parameter); with `filename`, each row's file is in the column `filename`; a `probe` reads PROBE_BUFFER at a
    time (for its first rows)."""
    header = "true" if csv.has_header else "false"
    return (
        f"read_csv(?, auto_detect=false, header={header}, columns={_columns(count)}, null_padding=false,"
        f" {_dialect(csv)}{', filename=true' if filename else ''}{f', buffer_size={PROBE_BUFFER}' if probe else ''})"
    )


def first_record(con: duckdb.DuckDBPyConnection, path: str, local: Path, csv: CsvOptions) -> list[str] | None:
    """The fields of the file's first record (None for an empty file), read by DuckDB's parser."""
    for width in PROBE_WIDTHS:
        sql = (
            f"SELECT * FROM read_csv(?, auto_detect=false, header=false, columns={_columns(width)},"
            f" null_padding=true, parallel=false, nullstr={literal(PROBE_NULL)}, buffer_size={PROBE_BUFFER},"
            f" {_dialect(csv)}) LIMIT 1"
        )
        try:
            rows = con.execute(sql, [str(local)]).fetchall()
        except duckdb.Error as exc:
            raise csv_failure(path, exc) from None
        if not rows:
            return None
        values = list(rows[0])
        if values[-1] is None:
            while values and values[-1] is None:
                values.pop()
            return [str(value) for value in values]
    raise SourceError(f"file {path}: the first line has more than {PROBE_WIDTHS[-1]} fields; check the delimiter")


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """One file's fields: `names[i]` is read from the file's column i."""

    headers: tuple[str, ...] | None
    names: tuple[str, ...]


def read_layout(
    con: duckdb.DuckDBPyConnection, path: str, local: Path, csv: CsvOptions, *, normalize: bool
) -> CsvLayout | None:
    """The file's field names, or None for an empty file (no bytes, no records)."""
    first = first_record(con, path, local, csv)
    if first is None:
        return None
    headers = tuple(first) if csv.has_header else None
    return CsvLayout(headers, tuple(field_names(path, headers, len(first), normalize)))


def cell(index: int, csv: CsvOptions) -> str:
    column = f"c{index}"
    if not csv.clean_errors:
        return column
    # `starts_with` first: the regular expression (the word #ERROR, not #ERRORS) runs only on candidates.
    return (
        f"CASE WHEN starts_with({column}, '#ERROR') AND regexp_matches({column}, '^#ERROR\\b') THEN NULL"
        f" ELSE {column} END"
    )


def row_select(
    layout: CsvLayout,
    fields: Sequence[str],
    extra: Sequence[str],
    csv: CsvOptions,
    *,
    filename: bool = False,
    probe: bool = False,
) -> str:
    """The rows of files with this layout as `fields` (absent ones null), then the `extra` SQL expressions (the
    file fields: bound as parameters before the file's local path, or, with `filename`, joined by it)."""
    position = {name: index for index, name in enumerate(layout.names)}
    values = [
        f"{cell(position[name], csv)} AS {identifier(name)}"
        if name in position
        else f"CAST(NULL AS VARCHAR) AS {identifier(name)}"
        for name in fields
    ]
    return (
        f"SELECT {', '.join([*values, *extra])} FROM {reader(csv, len(layout.names), filename=filename, probe=probe)}"
    )


def rows_json(con: duckdb.DuckDBPyConnection, path: str, local: Path, csv: CsvOptions) -> str:
    """`file_rows_json`: the file's rows as a JSON array of objects keyed by the headers as written."""
    layout = read_layout(con, path, local, csv, normalize=False)
    if layout is None:
        return "[]"
    pairs = ", ".join(f"?, {cell(index, csv)}" for index in range(len(layout.names)))
    sql = f"SELECT CAST(json_object({pairs}) AS VARCHAR) FROM {reader(csv, len(layout.names))}"
    try:
        rows = con.execute(sql, [*layout.names, str(local)]).fetchall()
    except duckdb.Error as exc:
        raise csv_failure(path, exc) from None
    return "[" + ",".join(str(row[0]) for row in rows) + "]"


def decode_text(path: str, data: bytes, codec: str) -> str:
    """`file_content_raw`: the file's text in its encoding."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"file {path}, line {line}: byte {exc.start} is not valid {codec}; set spec.source.csv.encoding to the"
            " file's encoding (nothing was changed)"
        ) from None
