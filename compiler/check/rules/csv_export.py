"""GS125 csv-export: `spec.output.format: csv` is a bucket-only export of a SQL query's rows.

A CSV file holds the query's rows, not documents, so nothing could be imported from it: it is only for
`sql_pull` connectors with `spec.ingestion.enabled: false`.

**Bad**

```yaml
output:
  bucket: gs://exports
  format: csv
# (ingestion left enabled)
```

**Good**

```yaml
output:
  bucket: gs://exports
  format: csv
ingestion:
  enabled: false
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS125"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.spec.get("output", {}).get("format") != "csv":
        return
    if connector.mode != "sql_pull":
        yield Finding(
            CODE,
            f"output format csv exports a SQL query's rows; mode {connector.mode} has no query",
            "/spec/output/format",
            "use format: ndjson (or remove format), or make this a sql_pull connector",
        )
        return
    if (connector.spec.get("ingestion") or {}).get("enabled", True) is not False:
        yield Finding(
            CODE,
            "output format csv is a bucket-only export, but ingestion is enabled: a CSV of rows cannot be imported",
            "/spec/output/format",
            "add `ingestion: {enabled: false}` to spec, or use format: ndjson to import documents",
        )
