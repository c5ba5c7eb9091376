"""`file_pull`: what a file source means, decided once here for the linter and for the plan.

- **format**: `spec.source.format`; when absent, `csv` if the source has CSV options or reads rows, and none
  (whole files, not parsed, of any type) for `documentMode: file` without CSV options.
- **documentMode**: `spec.source.documentMode`, or `spec.source.csv.documentMode` where the earlier tool put it.
- **path**: `gs://bucket/prefix`, an absolute folder, or a folder relative to the source root (the connector's
  repository), never to the working directory.
- **glob**: a file-name pattern (`fnmatch`: `*`, `?`, `[abc]`) matched inside the folder, not recursively.
"""

from __future__ import annotations

import codecs
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FileFormat = Literal["csv", "ndjson", "parquet"]
DocumentMode = Literal["row", "file"]
CsvEncoding = Literal["utf-8", "utf-16", "latin-1"]

FILE_FIELDS = ("file_path", "file_name", "file_mtime", "file_size_bytes")
"""Fields every record of a file pull carries, in both document modes."""
PARSED_FILE_FIELDS = ("file_content_raw", "file_rows_json")
"""Extra fields of a whole-file record when the file is parsed (`documentMode: file` with a format)."""

DEFAULT_GLOB = "*"

DOCUMENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/plain",
    ".json": "application/json",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
}
"""File extension -> the content mime type sent to Discovery Engine, for the types a data store accepts as
document content (PDF, HTML, plain text, JSON and the Office formats; Markdown is sent as plain text)."""

INLINE_CONTENT_LIMIT = 1_000_000
"""Largest file sent inline as `content.rawBytes`; larger files in a bucket are sent by `gs://` uri."""

ENCODINGS: dict[str, CsvEncoding] = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16", "iso8859-1": "latin-1"}
"""Python's canonical codec name -> the name DuckDB's CSV reader knows (it skips a UTF-8 byte-order mark)."""


def document_mode(source: Mapping[str, Any]) -> DocumentMode:
    csv = source.get("csv")
    nested = csv.get("documentMode") if isinstance(csv, Mapping) else None
    mode = source.get("documentMode") or nested or "row"
    return "file" if mode == "file" else "row"


def file_format(source: Mapping[str, Any]) -> FileFormat | None:
    """The format rows are read in; None for whole files that are not parsed."""
    explicit = source.get("format")
    if explicit in ("csv", "ndjson", "parquet"):
        return explicit  # type: ignore[no-any-return]
    if "csv" in source or document_mode(source) == "row":
        return "csv"
    return None


def record_fields(source: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The fields of every record when they are known before reading (whole files), else None (rows)."""
    if document_mode(source) != "file":
        return None
    return FILE_FIELDS + (PARSED_FILE_FIELDS if file_format(source) is not None else ())


def encoding_name(value: str) -> CsvEncoding | None:
    """The CSV reader's name for an encoding spelled any usual way (`UTF8`, `latin1`), or None if unsupported."""
    try:
        canonical = codecs.lookup(value).name
    except LookupError:
        return None
    return ENCODINGS.get(canonical)


@dataclass(frozen=True, slots=True)
class Folder:
    """A parsed `spec.source.path`."""

    storage: Literal["local", "gcs"]
    path: str
    """`gs://bucket/prefix` (no trailing `/`), an absolute posix path, or a normalised relative one (`.` is the
    root itself)."""
    relative_to_source_root: bool


class PathProblem(ValueError):
    """`spec.source.path` is not a folder or a bucket prefix; `fix` says what to write instead."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _gcs(path: str) -> Folder:
    bucket, _, prefix = path.removeprefix("gs://").partition("/")
    if not _BUCKET.match(bucket):
        raise PathProblem(
            f"{bucket!r} is not a valid bucket name",
            "write gs://<bucket>/<prefix> with a bucket name of 3-63 lower-case letters, digits, '-', '_' and '.'",
        )
    parts = prefix.rstrip("/").split("/") if prefix.strip("/") else []
    if any(part in ("", ".", "..") for part in parts):
        raise PathProblem(
            f"the prefix {prefix!r} has an empty, '.' or '..' folder name",
            "write the prefix as folder names separated by single '/'",
        )
    return Folder("gcs", "gs://" + "/".join([bucket, *parts]), False)


def parse_folder(path: str) -> Folder:
    """Classify and normalise `spec.source.path`. Raises PathProblem."""
    if "\\" in path or _DRIVE.match(path):
        raise PathProblem("the path uses '\\' or a drive letter", "write the folder with '/' separators")
    if path.startswith("gs:") and not path.startswith("gs://"):
        raise PathProblem("a bucket path starts with gs:// (two slashes)", f"write gs://{path[3:].lstrip('/')}")
    scheme = _SCHEME.match(path)
    if scheme and scheme["scheme"] != "gs":
        name = scheme["scheme"]
        fix = (
            f"write the folder itself, e.g. {path.removeprefix('file://') or '/'}"
            if name == "file"
            else "use a local folder or gs://bucket/prefix (other storage is not supported)"
        )
        raise PathProblem(f"{name}: is not a folder or a gs:// bucket prefix", fix)
    if scheme:
        return _gcs(path)
    if path.startswith("~"):
        raise PathProblem("'~' is not expanded", "write the full path of the folder, or a path in the repository")
    if path.startswith("/"):
        return Folder("local", "/" + posixpath.normpath(path).lstrip("/"), False)
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise PathProblem(
            f"the relative path {path!r} leads outside the connector's repository (the source root)",
            "use an absolute path, or a folder inside the repository",
        )
    return Folder("local", normal, True)


def glob_problem(pattern: str) -> tuple[str, str] | None:
    """(what is wrong, how to fix it) for an invalid `spec.source.glob`, or None."""
    if "/" in pattern or "**" in pattern:
        return (
            "the glob is matched against file names inside the folder, not recursively",
            "put the subfolder in spec.source.path and keep only a file-name pattern here, e.g. '*.csv'",
        )
    if pattern in (".", ".."):
        return f"{pattern!r} names a folder, not files", "write a file-name pattern, e.g. '*.csv'"
    if "\x00" in pattern:
        return "the glob contains a NUL character", "remove it"
    index = pattern.find("[")
    while index >= 0:  # a '[' must be closed: fnmatch would otherwise match it literally, silently
        start = index + 1
        start += pattern[start : start + 1] == "!"
        start += pattern[start : start + 1] == "]"  # a ']' first in the class is a literal
        close = pattern.find("]", start)
        if close < 0:
            return (
                f"'[' at position {index + 1} opens a character class that is never closed",
                "close it with ']', or write [[] for a literal '['",
            )
        index = pattern.find("[", close + 1)
    return None


def document_type(pattern: str) -> str | None:
    """The file extension a glob fixes (`*.pdf` -> `.pdf`), or None when it does not fix one."""
    match = re.search(r"\.[A-Za-z0-9]+$", pattern)
    return None if match is None else match.group(0).lower()
