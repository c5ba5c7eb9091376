"""GS153 document-mode-conflict: documentMode is said once.

`spec.source.csv.documentMode` (where the earlier tool put it) and `spec.source.documentMode` mean the same; two
different values leave it unclear whether a file is one document or many.

**Bad**

```yaml
type: file
path: exports
documentMode: file
csv:
  documentMode: row
```

**Good**

```yaml
type: file
path: exports
documentMode: file
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS153"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.mode != "file_pull":
        return
    outer = connector.source.get("documentMode")
    inner = (connector.source.get("csv") or {}).get("documentMode")
    if outer is not None and inner is not None and outer != inner:
        yield Finding(
            CODE,
            f"documentMode is {outer!r} in spec.source but {inner!r} in spec.source.csv",
            "/spec/source/csv/documentMode",
            "keep one of the two (spec.source.documentMode)",
            at_key=True,
        )
