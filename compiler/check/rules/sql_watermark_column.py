"""GS117 sql-watermark-column: the column compared with `:watermark` is the watermarkField.

The checkpoint is the largest `watermarkField` a run read; the next run compares it with whatever the query
puts next to `:watermark`. With `WHERE created_at >= :watermark` and `watermarkField: updated_at`, an edit to an
old row (new `updated_at`, old `created_at`) is never read again. The compared side must be the watermark
column itself, the expression the SELECT list names `watermarkField` (`GREATEST(a, b) AS updated_at` with
`GREATEST(a, b) >= :watermark`), or the column behind that alias (`t.modified AS updated_at` with
`t.modified >= :watermark`); casts around either side do not matter.

**Bad**

```yaml
query: SELECT id, title, updated_at FROM docs WHERE created_at >= :watermark
watermarkField: updated_at
```

**Good**

```yaml
query: SELECT id, title, updated_at FROM docs WHERE updated_at >= :watermark
watermarkField: updated_at
```
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from compiler.analysis.sql import SqlAnalysis, position, projections
from compiler.analysis.watermark import render, unwrapped, watermark_bounds
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS117"


def _accepted(sql: SqlAnalysis, field: str) -> tuple[set[str], set[str]]:
    """(column names, expression texts) that stand for `field`: the field itself, and what the SELECT names so."""
    names, texts = {field.lower()}, set()
    assert sql.statement is not None
    for projection in projections(sql.statement):
        if projection.alias_or_name.lower() != field.lower():
            continue
        source = unwrapped(projection)
        texts.add(source.sql())
        if isinstance(source, exp.Column):
            names.add(source.name.lower())
    return names, texts


def _matches(side: exp.Expr, names: set[str], texts: set[str]) -> bool:
    compared = unwrapped(side)
    if isinstance(compared, exp.Column):
        return compared.name.lower() in names
    return compared.sql() in texts


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    field = connector.source.get("watermarkField")
    if sql is None or sql.statement is None or not sql.is_read_only_select or field is None:
        return
    names, texts = _accepted(sql, str(field))
    for bound in watermark_bounds(sql.statement, sql.dialect):
        if _matches(bound.column, names, texts):
            continue
        where = position(bound.column)
        at = f" (query line {where[0]}, column {where[1]})" if where else ""
        yield Finding(
            CODE,
            f"`:watermark` is compared with {render(unwrapped(bound.column), sql.dialect)}{at}, but the "
            f"checkpoint is the largest {field}: rows whose {field} changes while the compared value does not "
            "are never read again",
            "/spec/source/query",
            f"compare {field} with :watermark (`{field} >= :watermark`), or set watermarkField to the compared column",
            line_offset=(where[0] - 1) if where else 0,
        )
