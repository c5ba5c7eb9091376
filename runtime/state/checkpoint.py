"""The run's new checkpoint: max(committed checkpoint, max of the watermark field over this run's records).

Compared in the field's own type, in DuckDB, never as text: integers as integers, timestamps as instants.
Floating-point values are kept with every digit their binary value needs (a FLOAT widened to DOUBLE first),
so the next run binds exactly the boundary value and `>= :watermark` cannot skip a row that shares it.

"json" records carry the watermark as a JSON value; its type is settled from the run's values: all integers ->
BIGINT, all numbers -> DOUBLE, all strings that are integers -> BIGINT, all strings that parse as ISO-8601
timestamps -> TIMESTAMPTZ (compared as instants), other strings -> VARCHAR. The checkpoint keeps the value's text as the record had it.
"""

from __future__ import annotations

import duckdb

from runtime.db import one
from runtime.errors import MappingError, StateError
from runtime.state.refused import TABLE as REFUSED
from runtime.state.refused import any_refused
from runtime.state.watermark import Watermark, checked_type

_FLOATS = ("FLOAT", "REAL", "FLOAT4")


def _exact_text(kind: str, value_sql: str) -> str:
    """SQL rendering `value_sql` as text that casts back to the same value."""
    if kind in _FLOATS:
        return f"CAST(CAST({value_sql} AS DOUBLE) AS VARCHAR)"
    return f"CAST({value_sql} AS VARCHAR)"


def watermark_after(
    con: duckdb.DuckDBPyConnection, field: str, staged_type: str | None, before: Watermark | None
) -> Watermark | None:
    """The checkpoint to commit; `staged_type` is `StageResult.watermark_type` (None: no value this run)."""
    if staged_type is None:
        return before
    if staged_type == "JSON":
        return _json_after(con, field, before)
    kind = checked_type(staged_type)
    if before is None:
        row = one(con, f"SELECT {_exact_text(kind, 'max(wm)')} FROM keys")
    else:
        if before.json:
            raise StateError(_changed(field, before, kind))
        try:
            row = one(
                con, f"SELECT {_exact_text(kind, f'greatest(max(wm), CAST(? AS {kind}))')} FROM keys", [before.text]
            )
        except duckdb.Error:
            raise StateError(_changed(field, before, kind)) from None
    if row is None or row[0] is None:
        return before
    return Watermark(field=field, type=kind, text=str(row[0]))


def _changed(field: str, before: Watermark, kind: str) -> str:
    return (
        f"the stored watermark {before.text!r} ({before.type}{', from JSON' if before.json else ''}) cannot be"
        f" compared with field {field!r} ({kind}): the field's type changed since the checkpoint was committed;"
        " reset the connector's state if that is intended (the next run then reads everything once)"
    )


_JSON_KIND = """
SELECT
    count(*) FILTER (WHERE t IN ('UBIGINT', 'BIGINT')) AS integers,
    count(*) FILTER (WHERE t = 'DOUBLE') AS doubles,
    count(*) FILTER (WHERE t = 'VARCHAR') AS strings,
    count(*) FILTER (WHERE t = 'VARCHAR' AND try_cast(s AS TIMESTAMPTZ) IS NULL) AS not_timestamps,
    count(*) FILTER (WHERE t = 'VARCHAR' AND try_cast(s AS BIGINT) IS NULL) AS not_integers,
    count(*) FILTER (WHERE t NOT IN ('UBIGINT', 'BIGINT', 'DOUBLE', 'VARCHAR', 'NULL')) AS others
FROM (SELECT json_type(wm) AS t, json_extract_string(wm, '$') AS s FROM keys WHERE wm IS NOT NULL)
"""


def _json_kind(con: duckdb.DuckDBPyConnection, field: str) -> str | None:
    row = one(con, _JSON_KIND)
    integers, doubles, strings, not_timestamps, not_integers, others = (int(v or 0) for v in row or (0,) * 6)
    if others or (strings and (integers or doubles)):
        raise MappingError(
            f"watermark field {field!r} holds values of mixed JSON types (numbers, strings, objects or booleans);"
            " a checkpoint needs one type: pick a field that is always a number or always an ISO-8601 string"
        )
    if strings:  # numbers written as strings compare as numbers, ISO-8601 times as instants
        return "BIGINT" if not not_integers else "VARCHAR" if not_timestamps else "TIMESTAMPTZ"
    if doubles:
        return "DOUBLE"
    if integers:
        return "BIGINT"
    return None


def _json_after(con: duckdb.DuckDBPyConnection, field: str, before: Watermark | None) -> Watermark | None:
    kind = _json_kind(con, field)
    if kind is None:
        return before
    typed = f"CAST(json_extract_string(wm, '$') AS {kind})"
    row = one(
        con, f"SELECT arg_max(json_extract_string(wm, '$'), {typed}), max({typed}) FROM keys WHERE wm IS NOT NULL"
    )
    if row is None or row[0] is None:
        return before
    text = str(row[0])
    if before is not None:
        if not before.json or before.type != kind:
            raise StateError(_changed(field, before, kind))
        try:
            newer = one(con, f"SELECT CAST(? AS {kind}) > CAST(? AS {kind})", [text, before.text])
        except duckdb.Error:
            raise StateError(_changed(field, before, kind)) from None
        if not (newer and newer[0]):
            return before
    return Watermark(field=field, type=kind, text=text, json=True)


def held_for_refused(con: duckdb.DuckDBPyConnection, after: Watermark | None) -> Watermark | None:
    """`after`, held back to the lowest watermark of the records whose upserts delivery refused (`refused`).

    The state does not record a refused document, but an incremental run reads only from the checkpoint on: had
    it moved past the record, the next run would never read it again. The boundary is inclusive (`>=`), so the
    next run reads the refused record again; what it re-reads unchanged is deduplicated by content hash."""
    if after is None or not any_refused(con):
        return after
    value = "json_extract_string(wm, '$')" if after.json else "wm"
    typed = f"CAST({value} AS {after.type})"
    row = one(
        con,
        f"SELECT {_exact_text(after.type, f'arg_min({value}, {typed})')}, min({typed}) < CAST(? AS {after.type})"
        f" FROM keys WHERE wm IS NOT NULL AND id IN (SELECT id FROM {REFUSED} WHERE operation = 'upsert')",
        [after.text],
    )
    if row is None or row[0] is None or not row[1]:
        return after
    return Watermark(field=after.field, type=after.type, text=str(row[0]), json=after.json)
