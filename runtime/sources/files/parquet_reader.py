"""Parquet files through DuckDB's `read_parquet`: typed columns, the run's files read as one union by name.

Each file's footer is read first (`DESCRIBE`), so a damaged file fails the run naming it, before any row moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from runtime.sources.files.csv_reader import identifier
from runtime.sources.files.errors import parquet_failure
from runtime.sources.files.headers import check_reserved

FILE_COLUMN = "__file"
META_VIEW = "_file_pull_meta"


def columns(con: duckdb.DuckDBPyConnection, path: str, local: Path) -> list[str]:
    """The file's column names (checked against the names the pull sets itself)."""
    try:
        names = [str(row[0]) for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(local)]).fetchall()]
    except duckdb.Error as exc:
        raise parquet_failure(path, exc) from None
    check_reserved(path, names)
    return names


def row_select(locals_: Sequence[Path], fields: Sequence[str], present: set[str], files: Sequence[str]) -> str:
    """The files' rows as `fields` (null where no file has one), with the `files` fields joined from
    `META_VIEW(local, file_path, ...)`. The one parameter is the list of local paths."""
    values = [f"p.{identifier(name)}" if name in present else f"NULL AS {identifier(name)}" for name in fields]
    values += [f"m.{name}" for name in files] + ["m.file_path AS __part"]
    return (
        f"SELECT {', '.join(values)} FROM read_parquet(?, union_by_name=true, filename='{FILE_COLUMN}') p"
        f" JOIN {META_VIEW} m ON p.{FILE_COLUMN} = m.local"
    )


def rows_json(con: duckdb.DuckDBPyConnection, path: str, local: Path) -> str:
    """`file_rows_json` of a Parquet file: its rows as one JSON array."""
    try:
        rows = con.execute("SELECT CAST(to_json(t) AS VARCHAR) FROM read_parquet(?) t", [str(local)]).fetchall()
    except duckdb.Error as exc:
        raise parquet_failure(path, exc) from None
    return "[" + ",".join(str(row[0]) for row in rows) + "]"
