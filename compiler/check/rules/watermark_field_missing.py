"""GS113 watermark-field-missing: an incremental pull needs spec.source.watermarkField.

A query that binds `:watermark`, or a REST pull that sends `watermarkParam` or `watermarkBodyField`, reads only what changed since the
checkpoint; the checkpoint is the maximum of watermarkField, so without it the checkpoint can never advance.

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
    if "watermarkField" in connector.source:
        return
    sql = connector.sql
    if sql is not None and WATERMARK_PARAMETER in sql.parameters:
        why = "the query binds :watermark"
    elif connector.mode == "rest_pull" and "watermarkParam" in connector.source:
        why = f"requests send the checkpoint as {connector.source['watermarkParam']!r}"
    elif connector.mode == "rest_pull" and "watermarkBodyField" in connector.source:
        why = f"requests send the checkpoint in the body field {connector.source['watermarkBodyField']!r}"
    else:
        return
    yield Finding(
        CODE,
        f"{why} but spec.source.watermarkField is not set, so the checkpoint cannot advance",
        "/spec/source",
        "set watermarkField to the field that holds each record's change time or version",
        at_key=True,
    )
