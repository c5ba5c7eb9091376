"""GS152 csv-options-format: CSV options belong to CSV files.

With `format: ndjson` or `format: parquet` no option of `spec.source.csv` would be applied.

**Bad**

```yaml
type: file
path: exports
format: parquet
csv:
  delimiter: ";"
```

**Good**

```yaml
type: file
path: exports
format: csv
csv:
  delimiter: ";"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS152"


def check(connector: Connector) -> Iterator[Finding]:
    fmt = connector.source.get("format")
    if connector.mode != "file_pull" or "csv" not in connector.source or fmt in (None, "csv"):
        return
    options = connector.source["csv"]
    fix = "remove spec.source.csv"
    if "documentMode" in options:
        fix += " (move documentMode to spec.source.documentMode)"
    yield Finding(
        CODE,
        f"spec.source.csv is set, but the files are read as {fmt}, so none of its options would apply",
        "/spec/source/csv",
        fix + ", or set format: csv",
        at_key=True,
    )
