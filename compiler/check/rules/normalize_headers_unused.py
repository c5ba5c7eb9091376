"""GS154 normalize-headers-unused (warning): normalizeHeaders renames fields, and whole files have none.

With `documentMode: file` each file is one record with fixed fields (`file_path`, `file_name`, ...): the CSV
headers never become field names, and `file_rows_json` keeps them as written.

**Bad**

```yaml
type: file
path: exports
csv:
  documentMode: file
  normalizeHeaders: true
```

**Good**

```yaml
type: file
path: exports
csv:
  documentMode: row
  normalizeHeaders: true
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.files import document_mode
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS154"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.mode != "file_pull" or document_mode(connector.source) != "file":
        return
    if (connector.source.get("csv") or {}).get("normalizeHeaders") is True:
        yield Finding(
            CODE,
            "normalizeHeaders has no effect with documentMode: file (file_rows_json keeps the headers as written)",
            "/spec/source/csv/normalizeHeaders",
            "remove normalizeHeaders, or read rows (documentMode: row)",
            at_key=True,
        )
