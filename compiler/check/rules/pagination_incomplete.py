"""GS116 pagination-incomplete: cursor pagination needs both of its fields.

`paginationNextCursorJsonPath` says where the next cursor is in a response; `paginationCursorField` says which
query parameter sends it back. With only one, the pull would read page one forever or stop after it.

**Bad**

```yaml
paginationCursorField: cursor
```

**Good**

```yaml
paginationCursorField: cursor
paginationNextCursorJsonPath: paging.next_cursor
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS116"
FIELDS = ("paginationCursorField", "paginationNextCursorJsonPath")


def check(connector: Connector) -> Iterator[Finding]:
    present = [field for field in FIELDS if field in connector.source]
    if len(present) == 1:
        (given,) = present
        (missing,) = [field for field in FIELDS if field != given]
        yield Finding(
            CODE,
            f"{given} is set but {missing} is not; cursor pagination needs both",
            f"/spec/source/{given}",
            f"add spec.source.{missing}, or remove {given}",
            at_key=True,
        )
