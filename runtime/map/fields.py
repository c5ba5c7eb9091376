"""How the document SQL reads a record's fields: by column ("columns" records) or by JSON path ("json" records).

Both accessors give the same roles the same meaning, so a mapping behaves alike for a SQL row and an API record:
  text(f)        VARCHAR or NULL (a JSON string's content, a number's text)
  value(f)       the value for structData, keeping its type (JSON numbers stay numbers; non-finite floats of a
                 column become null, since strict JSON has no NaN or Infinity)
  principals(f)  LIST(VARCHAR) of trimmed, non-empty principals from a list, a JSON array of strings or a
                 comma-separated string; anything else fails the record, naming it and the field
  hashed(f)      what the content hash covers for the field
  watermark(f)   the value compared for the checkpoint (typed column, or JSON)
The SQL reads a chunk aliased `c`; `c.__gs_raw` is the record's raw id (named in per-record errors).
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa

from runtime.errors import MappingError
from runtime.map.paths import json_path
from runtime.map.sql import col, literal

RAW_ID = "c.__gs_raw"
RECORD = 'c."__record"'


def clean_principals(items: str) -> str:
    """Trimmed, non-empty elements of a LIST(VARCHAR) expression."""
    trimmed = f"list_transform({items}, lambda x: trim(x))"
    return f"coalesce(list_filter({trimmed}, lambda x: x IS NOT NULL AND x <> ''), [])"


def _record_error(field: str, what: str) -> str:
    """A DuckDB `error(...)` naming the record (by raw id) and the field."""
    return (
        f"error('record ' || coalesce({RAW_ID}, '?') || ': ACL field ' || {literal(repr(field))} || ' must be a list"
        f" of principals, a JSON array of strings or a comma-separated string, not ' || {what})"
    )


def json_principals(value: str, field: str) -> str:
    """Principals from a JSON value: an array of strings, or one comma-separated string, or null."""
    return (
        f"CASE WHEN {value} IS NULL OR json_type({value}) = 'NULL' THEN []::VARCHAR[]"
        f" WHEN json_type({value}) = 'VARCHAR' THEN string_split(json_extract_string({value}, '$'), ',')"
        f" WHEN json_type({value}) = 'ARRAY' AND len(list_filter(json_type({value}, '$[*]'),"
        f" lambda t: t <> 'VARCHAR')) = 0 THEN json_extract_string({value}, '$[*]')"
        f" ELSE {_record_error(field, f'json_type({value})')} END"
    )


class FieldAccess(Protocol):
    def require(self, field: str, what: str) -> str:
        """`field` if the records can have it, else a MappingError naming `what` (e.g. 'title field')."""
        ...

    def text(self, field: str) -> str: ...

    def value(self, field: str) -> str: ...

    def principals(self, field: str) -> str: ...

    def hashed(self, field: str) -> str: ...

    def watermark(self, field: str) -> str: ...


class ColumnAccess:
    """Typed Arrow columns named as the fields."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns = frozenset(schema.names)

    def require(self, field: str, what: str) -> str:
        if field not in self.columns:
            raise MappingError(
                f"the mapping's {what} is {field!r} but the query returns no such column"
                f" (columns: {', '.join(sorted(c for c in self.columns if not c.startswith('__')))});"
                " add it to the SELECT or fix the mapping"
            )
        return field

    def text(self, field: str) -> str:
        return f"CAST({col(field)} AS VARCHAR)"

    def value(self, field: str) -> str:
        return _finite(col(field), self.schema.field(field).type)

    def principals(self, field: str) -> str:
        kind = self.schema.field(field).type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_list_view(kind):
            element = kind.value_type
            if pa.types.is_list(element) or pa.types.is_large_list(element) or pa.types.is_struct(element):
                raise MappingError(
                    f"ACL column {field!r} is an array of {element} (e.g. a 2-D array); it must hold principals"
                    " as text: a 1-D array, a JSON array of strings or a comma-separated string"
                )
            return clean_principals(f"list_transform({col(field)}, lambda x: CAST(x AS VARCHAR))")
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
            text = f"CAST({col(field)} AS VARCHAR)"
            as_json = json_principals(f"CAST({text} AS JSON)", field)
            invalid = _record_error(field, "'text that is not valid JSON'")
            an_object = _record_error(field, "'a JSON object'")
            return clean_principals(
                f"CASE WHEN {text} IS NULL THEN []::VARCHAR[] WHEN starts_with(ltrim({text}), '[') THEN"
                f" CASE WHEN json_valid({text}) THEN {as_json} ELSE {invalid} END"
                f" WHEN starts_with(ltrim({text}), '{{') THEN {an_object} ELSE string_split({text}, ',') END"
            )
        raise MappingError(
            f"ACL column {field!r} has type {kind}; it must hold principals as text: an array, a JSON array of"
            " strings or a comma-separated string"
        )

    def hashed(self, field: str) -> str:
        return col(field)

    def watermark(self, field: str) -> str:
        return col(field)


FIELDS = "c.__gs_f"
"""For "json" records: every field the mapping reads, extracted in one parse of the record (`JsonAccess.prelude`)."""


class JsonAccess:
    """One JSON text column `__record` per record; fields are dotted paths into it.

    Each record is parsed once: `prelude` extracts every path the mapping uses into a list (`c.__gs_f`), and each
    access is an element of it. Extracting path by path parsed a 700-byte record ten times and held every parse
    until the chunk was done (hundreds of MB per thread at 2,000 records a chunk, measured)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def require(self, field: str, what: str) -> str:
        return field  # an absent key reads as null, like a NULL column

    def _extract(self, field: str) -> str:
        path = json_path(field)
        if path not in self.paths:
            self.paths.append(path)
        return f"{FIELDS}[{self.paths.index(path) + 1}]"

    def text(self, field: str) -> str:
        return f"json_extract_string({self._extract(field)}, '$')"

    def value(self, field: str) -> str:
        return self._extract(field)

    def principals(self, field: str) -> str:
        return clean_principals(json_principals(self._extract(field), field))

    def hashed(self, field: str) -> str:
        return self._extract(field)

    def watermark(self, field: str) -> str:
        return self._extract(field)

    def prelude(self) -> str | None:
        """SQL for `__gs_f` over a chunk `c` (None when the mapping reads no field)."""
        if not self.paths:
            return None
        listed = ", ".join(literal(path) for path in self.paths)
        return f"json_extract({RECORD}, [{listed}])"


def _finite(expression: str, kind: pa.DataType) -> str:
    """NaN and +/-Infinity become NULL (strict JSON has no such numbers), also inside lists."""
    if pa.types.is_floating(kind):
        return f"CASE WHEN isfinite({expression}) THEN {expression} END"
    if (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and pa.types.is_floating(kind.value_type):
        return f"list_transform({expression}, lambda x: CASE WHEN isfinite(x) THEN x END)"
    return expression
