"""GS105 incremental-auto-delete: incremental extraction must not use auto_delete_missing.

An incremental run reads only changed records, so every unchanged record looks "missing": with
`auto_delete_missing` it would be deleted from the data store.

`rest_push` is exempt: a push is never a snapshot, so nothing is ever "missing", and there `auto_delete_missing`
means "apply the explicit DELETE events" (how existing push connectors use it).

**Bad**

```yaml
source:
  query: SELECT id, title FROM docs WHERE updated_at >= :watermark
reconciliation:
  deletePolicy: auto_delete_missing
```

**Good**

```yaml
source:
  query: SELECT id, title FROM docs WHERE updated_at >= :watermark
reconciliation:
  deletePolicy: soft_delete_only
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS105"


def check(connector: Connector) -> Iterator[Finding]:
    policy = connector.spec["reconciliation"]["deletePolicy"]
    extraction = connector.extraction
    if policy == "auto_delete_missing" and extraction.kind == "incremental" and connector.mode != "rest_push":
        fix = (
            "set deletePolicy to soft_delete_only or never_delete, or read a full snapshot "
            "(drop the watermark filter) to keep auto_delete_missing"
        )
        yield Finding(
            CODE,
            f"deletePolicy auto_delete_missing with incremental extraction would delete every unchanged "
            f"document ({extraction.reason})",
            "/spec/reconciliation/deletePolicy",
            fix,
        )
