"""GS114 sql-watermark-shape: `:watermark` is a lower bound on a column, in a WHERE, HAVING or ON condition.

The first run (no checkpoint yet) reads the query with the watermark filter removed; that is only well
defined for lower bounds (`col >= :watermark`, `col > :watermark`, `col BETWEEN :watermark AND ...`)
joined by AND/OR.

**Bad**

```yaml
query: SELECT id, title, updated_at FROM docs WHERE updated_at = :watermark
```

**Good**

```yaml
query: SELECT id, title, updated_at FROM docs WHERE updated_at >= :watermark
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.watermark import WatermarkShapeError, neutralise_watermark, uses_watermark
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS114"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or sql.statement is None or not sql.is_read_only_select or not uses_watermark(sql.statement):
        return
    try:
        neutralise_watermark(sql.statement, sql.dialect)
    except WatermarkShapeError as exc:
        yield Finding(CODE, str(exc), "/spec/source/query", "compare the watermark column with `>= :watermark`")
