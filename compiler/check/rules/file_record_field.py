"""GS156 file-record-field: with documentMode file the mapping reads file fields only.

A whole-file record has `file_path`, `file_name`, `file_mtime` and `file_size_bytes`, plus `file_content_raw`
and `file_rows_json` when the files are parsed (a `format` or CSV options); any other field would be missing on
every record. `file_path` is the natural id: it is stable for the file.

**Bad**

```yaml
type: file
path: manuals
documentMode: file
idField: id
```

**Good**

```yaml
type: file
path: manuals
documentMode: file
idField: file_path
titleField: file_name
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.files import record_fields
from compiler.analysis.templates import analyze_template
from compiler.check.connector import Connector
from compiler.check.finding import Finding, did_you_mean, listing

CODE = "GS156"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.mode != "file_pull":
        return
    fields = record_fields(connector.source)
    if fields is None:
        return
    known = ", ".join(fields)
    for column, pointer in connector.needed_columns():
        if column not in fields:
            hint = did_you_mean(column, fields)
            yield Finding(
                CODE,
                f"{column!r} is not a field of a whole-file record (fields: {listing(fields)})",
                pointer,
                hint or f"use one of {known}",
            )
    for pointer, source in connector.templates():
        for variable in analyze_template(source).variables:
            if variable not in fields:
                hint = did_you_mean(variable, fields)
                yield Finding(
                    CODE,
                    f"the template uses {variable!r}, which is not a field of a whole-file record",
                    pointer,
                    hint or f"use one of {known}",
                )
