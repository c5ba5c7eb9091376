"""GS113 watermark-field-missing: a query that binds `:watermark` needs spec.source.watermarkField.

The watermark column's maximum is what the next run binds; without it the checkpoint can never advance.

**Bad**

```yaml
source:
  query: SELECT id, title, updated_at FROM docs WHERE updated_at >= :watermark
```

**Good**

```yaml
source:
  query: SELECT id, title, updated_at FROM docs WHERE updated_at >= :watermark
  watermarkField: updated_at
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.extraction import WATERMARK_PARAMETER
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS113"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or WATERMARK_PARAMETER not in sql.parameters or "watermarkField" in connector.source:
        return
    yield Finding(
        CODE,
        "the query binds :watermark but spec.source.watermarkField is not set, so the checkpoint cannot advance",
        "/spec/source",
        "set watermarkField to the column compared with :watermark",
        at_key=True,
    )
