"""`file_pull`: CSV, NDJSON and Parquet rows, or whole documents, from a folder or a `gs://` bucket prefix.

Modules, one job each: `folder` (listing and reading a folder or bucket), `catalogue` (which files the last run
read), `headers` (field names), `csv_reader` / `ndjson_reader` / `parquet_reader` (DuckDB's readers with explicit
options), `rows` and `whole` (the two document modes), `errors` (one-line messages), `pull` (the `Pull`).
"""

from __future__ import annotations

from compiler.plan import FileSource
from runtime.sources.base import PullContext
from runtime.sources.files.folder import Folder, open_folder
from runtime.sources.files.pull import FilePull


def open_file_pull(context: PullContext, source: FileSource, folder: Folder | None = None) -> FilePull:
    """The pull of a file source; `folder` replaces the plan's folder (tests)."""
    return FilePull(context, source, folder or open_folder(source, context.source_root, context.plan.name))


__all__ = ["FilePull", "open_file_pull"]
