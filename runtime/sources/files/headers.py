"""Field names from file headers: normalisation exactly as the earlier tool defined it, and names we reserve.

`normalize_header`: Unicode NFKD, then characters outside ASCII dropped (`ü` -> `u`, `Größe` -> `groe`), every
run of characters other than ASCII letters and digits replaced by `_`, leading and trailing `_` stripped,
lower-cased (`Owner (Team)` -> `owner_team`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from runtime.errors import SourceError

FILE_FIELDS = ("file_path", "file_name", "file_mtime", "file_size_bytes")
"""Set by the pull on every record; a file's own field of the same name would be overwritten, so it is refused."""

_OTHER = re.compile(r"[^A-Za-z0-9]+")


def normalize_header(header: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode("ascii")
    return _OTHER.sub("_", ascii_only).strip("_").lower()


def positional_name(index: int) -> str:
    """The name of the field at 0-based `index` when there is no header (or an empty one): column_1, ..."""
    return f"column_{index + 1}"


def check_reserved(path: str, names: Sequence[str], what: str = "column") -> None:
    """Refuse a file field that would collide with a field the pull sets or an engine column (`__*`)."""
    for name in names:
        if name in FILE_FIELDS or name.startswith("__"):
            raise SourceError(
                f"file {path}: the {what} {name!r} collides with a field file_pull sets itself"
                f" ({', '.join(FILE_FIELDS)}, and names starting with '__'); rename it in the file"
            )


def field_names(path: str, headers: Sequence[str] | None, count: int, normalize: bool) -> list[str]:
    """The field names of a CSV file: its headers (normalised if asked), or column_1.. without a header.

    An empty header (or one that normalises to nothing) takes its positional name. Two headers with the same
    name fail the run, naming both columns: one would silently overwrite the other.
    """
    names: list[str] = []
    seen: dict[str, int] = {}
    for index in range(count):
        raw = headers[index] if headers is not None else ""
        name = normalize_header(raw) if normalize else raw
        name = name or positional_name(index)
        if name in seen:
            how = " after normalisation" if normalize else ""
            raise SourceError(
                f"file {path}: columns {seen[name] + 1} and {index + 1} are both named {name!r}{how}; rename one"
                " of the headers"
            )
        seen[name] = index
        names.append(name)
    check_reserved(path, names)
    return names
