"""GS111 template-unknown-field: template variables are fields of the record.

For sql_pull the record's fields are the selected columns (checked when they are known); a template that
names anything else would fail on every record at run time.

**Bad**

```yaml
query: SELECT id, title FROM docs
contentTemplate: "{{ title }} {{ bdy }}"
```

**Good**

```yaml
query: SELECT id, title, body FROM docs
contentTemplate: "{{ title }} {{ body }}"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.templates import analyze_template
from compiler.check.connector import Connector
from compiler.check.finding import MAX_SUGGESTIONS, Finding, did_you_mean, listing

CODE = "GS111"


def check(connector: Connector) -> Iterator[Finding]:
    columns = connector.known_columns
    if columns is None:
        return
    selected = {column.lower() for column in columns}
    unknown = [
        (pointer, variable)
        for pointer, source in connector.templates()
        for variable in analyze_template(source).variables
        if variable.lower() not in selected
    ]
    for index, (pointer, variable) in enumerate(unknown):
        hint = did_you_mean(variable, columns) if index < MAX_SUGGESTIONS else None
        yield Finding(
            CODE,
            f"the template uses {variable!r}, which the query does not select (selected: {listing(columns)})",
            pointer,
            hint or f"add {variable} to the SELECT list",
        )
