"""GS108 sql-missing-column: every field the mapping reads is among the selected columns.

Checked when the column list is known (no `*`). Names compare case-insensitively, as unquoted SQL
identifiers do.

**Bad**

```yaml
query: SELECT id, body FROM docs
mapping:
  idField: id
  titleField: title
```

**Good**

```yaml
query: SELECT id, title, body FROM docs
mapping:
  idField: id
  titleField: title
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import MAX_SUGGESTIONS, Finding, did_you_mean, listing

CODE = "GS108"


def check(connector: Connector) -> Iterator[Finding]:
    columns = connector.known_columns
    if columns is None:
        return
    selected = {column.lower() for column in columns}
    missing = [(column, pointer) for column, pointer in connector.needed_columns() if column.lower() not in selected]
    for index, (column, pointer) in enumerate(missing):
        hint = did_you_mean(column, columns) if index < MAX_SUGGESTIONS else None
        yield Finding(
            CODE,
            f"{column!r} is not selected by the query (selected: {listing(columns)})",
            pointer,
            hint or f"add {column} to the SELECT list",
        )
