"""GS118 sql-watermark-float: the watermark is a floating-point value.

A checkpoint is stored as text and bound again on the next run; a binary float does not survive that exactly
(and sums or averages of floats are not even stable between runs), so rows at the boundary are lost even with
`>=`. Use an exact type: a timestamp, an integer (a version counter) or a decimal.

What the linter can see (it does not connect to the database): a `watermarkField` that the SELECT list
produces with a cast to FLOAT, REAL or DOUBLE (`CAST(x AS REAL)`, `x::float8`) or as a float literal, and a
`:watermark` cast to a float type in the comparison. What it cannot see: a column that is declared REAL or
FLOAT in the table itself; only the database knows that type, so check the column's type yourself.

**Bad**

```yaml
query: SELECT id, title, CAST(version AS DOUBLE PRECISION) AS version FROM docs WHERE version >= :watermark
watermarkField: version
```

**Good**

```yaml
query: SELECT id, title, version FROM docs WHERE version >= :watermark
watermarkField: version
```
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from compiler.analysis.sql import position, projections
from compiler.analysis.watermark import WATERMARK, watermark_bounds
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS118"
_FLOATS = frozenset({exp.DType.FLOAT, exp.DType.DOUBLE, exp.DType.UDOUBLE})


def _float_cast(node: exp.Expr) -> exp.Expr | None:
    """The float cast or float literal that decides `node`'s type, looking through parentheses and aliases."""
    while isinstance(node, exp.Paren | exp.Alias):
        node = node.this
    if isinstance(node, exp.Cast) and node.to.this in _FLOATS:
        return node
    if isinstance(node, exp.Literal) and not node.is_string and any(c in node.this for c in ".eE"):
        return node
    return None


def _finding(node: exp.Expr, what: str, near: exp.Expr | None = None) -> Finding:
    where = position(node) or position(near)
    at = f" (query line {where[0]}, column {where[1]})" if where else ""
    return Finding(
        CODE,
        f"{what}{at}: a floating-point checkpoint does not round-trip exactly, so boundary rows can be missed",
        "/spec/source/query",
        "use an exact watermark type: a timestamp, an integer or a DECIMAL",
        line_offset=(where[0] - 1) if where else 0,
    )


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    field = connector.source.get("watermarkField")
    if sql is None or sql.statement is None or not sql.is_read_only_select or field is None:
        return
    for projection in projections(sql.statement):
        if projection.alias_or_name.lower() == str(field).lower() and (cast := _float_cast(projection)):
            yield _finding(cast, f"the watermark column {field} is selected as a floating-point value")
    for bound in watermark_bounds(sql.statement, sql.dialect):
        for placeholder in bound.predicate.find_all(exp.Placeholder):
            cast = placeholder.parent
            if placeholder.name == WATERMARK and isinstance(cast, exp.Cast) and _float_cast(cast) is not None:
                yield _finding(cast, "`:watermark` is cast to a floating-point type", bound.predicate)
