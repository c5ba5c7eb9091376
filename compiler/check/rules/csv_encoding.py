"""GS157 csv-encoding: the CSV reader knows UTF-8, UTF-16 and Latin-1.

The usual spellings are accepted (`UTF-8`, `utf8`, `utf-8-sig` (a byte-order mark is skipped anyway), `latin1`,
`iso-8859-1`); any other encoding would fail every file.

**Bad**

```yaml
type: file
path: exports
csv:
  encoding: cp1252
```

**Good**

```yaml
type: file
path: exports
csv:
  encoding: latin-1
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.files import encoding_name
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS157"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.mode != "file_pull":
        return
    encoding = (connector.source.get("csv") or {}).get("encoding")
    if encoding is not None and encoding_name(encoding) is None:
        yield Finding(
            CODE,
            f"the CSV reader does not support the encoding {encoding!r}",
            "/spec/source/csv/encoding",
            "convert the files to UTF-8, or use utf-8, utf-16 or latin-1",
        )
