"""GS110 template-syntax: contentTemplate and uriTemplate parse as Jinja.

**Bad**

```yaml
contentTemplate: "{{ title }"
```

**Good**

```yaml
contentTemplate: "{{ title }}"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.templates import analyze_template
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS110"


def check(connector: Connector) -> Iterator[Finding]:
    for pointer, source in connector.templates():
        template = analyze_template(source)
        if template.error is not None:
            where = f" (template line {template.error_line})" if template.error_line else ""
            yield Finding(
                CODE,
                f"the template does not parse: {template.error}{where}",
                pointer,
                "Jinja expressions look like {{ field }}",
            )
