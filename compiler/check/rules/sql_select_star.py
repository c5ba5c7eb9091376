"""GS109 sql-select-star (warning): `SELECT *` hides the column list, so field checks cannot run.

The sync still works, but a renamed or dropped column is found only at run time.

**Bad**

```yaml
query: SELECT * FROM docs
```

**Good**

```yaml
query: SELECT id, title, body FROM docs
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS109"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is not None and sql.error is None and sql.has_star:
        yield Finding(
            CODE,
            "SELECT * hides the column list, so the mapping's fields cannot be checked before a run",
            "/spec/source/query",
            "list the columns the mapping needs",
        )
