"""Field names of "json" records: a dotted path reaches into nested objects (`author.email`).

The same rule everywhere a field is named (id, title, templates, ACLs, metadata, watermark): split on `.`, each
part a key of the object before it. An absent key anywhere on the path reads as null, as a NULL column does
for SQL rows. Column records ("columns" format) use the field name as one column name, dots and all.

>>> lookup({"author": {"email": "a@x.com"}}, "author.email")
'a@x.com'
>>> lookup({"author": None}, "author.email") is None
True
>>> json_path("author.email")
'$."author"."email"'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def split_path(field: str) -> tuple[str, ...]:
    return tuple(field.split("."))


def json_path(field: str) -> str:
    """The DuckDB JSON path of a field (each key quoted, so any character is safe)."""
    return "$" + "".join('."' + part.replace("\\", "\\\\").replace('"', '\\"') + '"' for part in split_path(field))


def lookup(record: Mapping[str, Any], field: str) -> Any:
    """The value at a field's path in a parsed record, or None when any step is absent or not an object."""
    value: Any = record
    for part in split_path(field):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
