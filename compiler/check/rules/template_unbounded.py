"""GS123 template-unbounded: a template does obviously huge work for every record.

Templates run once per record. Nested loops over `range()`, a long literal `range()`, `lipsum(n)` with a large
`n`, repeating a value millions of times or a huge power would stall a run for hours; the runtime stops such a
template at its per-record budget (loop iterations, time and output size) and fails the run, so this warning
says so before the first run. Only literal arguments are judged: `range(count)` over a column is not.

**Bad**

```yaml
contentTemplate: "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}"
```

**Good**

```yaml
contentTemplate: "{% for tag in tags %}{{ tag }} {% endfor %}"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.templates import unbounded_constructs
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS123"


def check(connector: Connector) -> Iterator[Finding]:
    for pointer, source in connector.templates():
        for what, line in unbounded_constructs(source):
            yield Finding(
                CODE,
                f"{what} (template line {line}); the runtime stops a template that exceeds its per-record budget "
                "and fails the run",
                pointer,
                "loop over the record's own fields instead, or render the text in the query",
                line_offset=line - 1,
            )
