"""GS106 sql-syntax: the query parses in the provider's SQL dialect.

**Bad**

```yaml
query: SELECT id, title FROM docs WHERE (updated_at >= :watermark
```

**Good**

```yaml
query: SELECT id, title FROM docs WHERE (updated_at >= :watermark)
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS106"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or sql.error is None:
        return
    where = f" (query line {sql.error_line}, column {sql.error_column})" if sql.error_line else ""
    yield Finding(
        CODE,
        f"the query does not parse as {connector.source['type']} SQL: {sql.error}{where}",
        "/spec/source/query",
        line_offset=(sql.error_line or 1) - 1,
    )
