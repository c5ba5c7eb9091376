"""GS112 sql-bind-parameter: the only bind parameter a query may use is `:watermark`.

Nothing else is bound at run time, so any other parameter would fail every run.

**Bad**

```yaml
query: SELECT id, title FROM docs WHERE tenant = :tenant
```

**Good**

```yaml
query: SELECT id, title FROM docs WHERE tenant = 'acme'
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.extraction import WATERMARK_PARAMETER
from compiler.check.connector import Connector
from compiler.check.finding import Finding, did_you_mean

CODE = "GS112"


def check(connector: Connector) -> Iterator[Finding]:
    sql = connector.sql
    if sql is None or sql.error is not None:
        return
    for parameter in sql.parameters:
        if parameter != WATERMARK_PARAMETER:
            written = (
                f":{parameter}" if parameter.isidentifier() else f"${parameter}" if parameter.isdigit() else parameter
            )
            yield Finding(
                CODE,
                f"the query binds {written}; only :{WATERMARK_PARAMETER} is bound at run time",
                "/spec/source/query",
                did_you_mean(parameter, [WATERMARK_PARAMETER]) or "write the value into the query",
            )
