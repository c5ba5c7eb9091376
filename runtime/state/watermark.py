"""The checkpoint of an incremental extraction, kept in its column's own type.

Stored as (DuckDB type name, canonical text); compared by casting back to that type in DuckDB, so integer 9 sorts
before 10 and timestamps compare as instants, never as strings.
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass

from runtime.errors import StateError

_TYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_ ]*(\(\d+(, ?\d+)?\))?$")
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}


def checked_type(name: str) -> str:
    """A DuckDB type name safe to splice into SQL (it comes from our own state file or from `typeof`)."""
    if not _TYPE_NAME.match(name):
        raise StateError(f"the state holds a watermark of unexpected type {name!r}; delete the state to resync")
    return name


@dataclass(frozen=True, slots=True)
class Watermark:
    """A typed checkpoint value: `type` is a DuckDB type name, `text` its exact value as text.

    For column records `text` is the value cast to VARCHAR (floating-point values written with every digit their
    binary value needs, so the next run binds exactly the same number). For "json" records (`json`), `text` is
    the value as it appeared in the record (a string's content, a number's text): what an API is sent back.
    """

    field: str
    type: str
    text: str
    json: bool = False

    def bind_value(self) -> object:
        """The value to bind as `:watermark`, as the matching Python type (drivers then compare it typed)."""
        kind = self.type
        if self.json and kind not in _INTEGERS and kind != "DOUBLE":
            return self.text
        try:
            if kind in _INTEGERS:
                return int(self.text)
            if kind.startswith("DECIMAL"):
                return decimal.Decimal(self.text)
            if kind in ("DOUBLE", "FLOAT", "REAL"):
                return float(self.text)
            if kind.startswith("TIMESTAMP"):
                return datetime.datetime.fromisoformat(self.text)
            if kind == "DATE":
                return datetime.date.fromisoformat(self.text)
        except ValueError as exc:
            raise StateError(f"the stored watermark {self.text!r} is not a valid {kind}: {exc}") from None
        return self.text

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "type": self.type, "value": self.text}

    def same_type(self, other: Watermark) -> bool:
        return (self.type, self.json) == (other.type, other.json)
