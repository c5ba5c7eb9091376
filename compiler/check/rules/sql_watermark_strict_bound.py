"""GS119 sql-watermark-strict-bound: `> :watermark` skips rows that share the checkpoint's value.

The checkpoint is the largest watermark value a run read. A row written later with that same value (two
updates in one second, or a transaction that commits after the run read its neighbours) is excluded by `>`
forever. `>=` reads the rows at the checkpoint again on the next run; that is safe, because each run compares
every record's content hash with the stored one and sends nothing for those that did not change (the re-read
rows are deduplicated, not re-imported).

**Bad**

```yaml
query: SELECT id, title, updated_at FROM docs WHERE updated_at > :watermark
```

**Good**

```yaml
query: SELECT id, title, updated_at FROM docs WHERE updated_at >= :watermark
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.sql import position
from compiler.analysis.watermark import render, watermark_bounds
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS119"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or sql.statement is None or not sql.is_read_only_select:
        return
    for bound in watermark_bounds(sql.statement, sql.dialect):
        if not bound.strict:
            continue
        where = position(bound.predicate)
        at = f" (query line {where[0]}, column {where[1]})" if where else ""
        yield Finding(
            CODE,
            f"`{render(bound.predicate, sql.dialect)}`{at} skips rows written later with the checkpoint's own "
            "value; `>=` re-reads them, and unchanged ones are dropped by the content-hash comparison",
            "/spec/source/query",
            "compare with `>= :watermark`",
            line_offset=(where[0] - 1) if where else 0,
        )
