"""GS120 sql-duplicate-column: every column the query selects has its own name.

A record is a mapping from column name to value: of two columns named alike one is lost (a second `AS title`
silently replaces the first) or the run fails. Names compare case-insensitively, as in the staging database
where records are mapped, so `Id` and `id` collide too.

**Bad**

```yaml
query: SELECT id, title, summary AS title FROM docs
```

**Good**

```yaml
query: SELECT id, title, summary FROM docs
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.sql import name_position, projections
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS120"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or sql.statement is None or sql.selected_columns is None or not sql.is_read_only_select:
        return
    first: dict[str, int] = {}
    for index, projection in enumerate(projections(sql.statement), start=1):
        name = projection.alias_or_name
        earlier = first.setdefault(name.lower(), index)
        if earlier == index:
            continue
        where = name_position(projection)
        at = f" (query line {where[0]}, column {where[1]})" if where else ""
        yield Finding(
            CODE,
            f"column {name!r} is selected twice: as item {earlier} and item {index} of the SELECT list{at}",
            "/spec/source/query",
            f"give item {index} another alias (e.g. AS {name}_{index}), or drop one of them",
            line_offset=(where[0] - 1) if where else 0,
        )
