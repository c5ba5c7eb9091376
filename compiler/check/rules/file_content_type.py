"""GS155 file-content-type: a whole file sent as content must be of a type Discovery Engine accepts.

With `documentMode: file` and no `contentTemplate`, each file itself becomes the document's content, with the
mime type of its extension: PDF, HTML, plain text (`.txt`, `.md`), JSON, DOCX, PPTX, XLSX or XLSM. A glob that
selects another type would fail every run.

**Bad**

```yaml
type: file
path: exports
glob: "*.csv"
documentMode: file
```

**Good**

```yaml
type: file
path: manuals
glob: "*.pdf"
documentMode: file
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.files import DOCUMENT_TYPES, document_mode, document_type, file_format
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS155"


def check(connector: Connector) -> Iterator[Finding]:
    source = connector.source
    if connector.mode != "file_pull" or document_mode(source) != "file" or "contentTemplate" in connector.mapping:
        return
    extension = document_type(source.get("glob", ""))
    if extension is None or extension in DOCUMENT_TYPES:
        return
    fix = (
        "add a contentTemplate (e.g. '{{ file_content_raw }}') to send the file's text, or read rows"
        " (documentMode: row)"
        if file_format(source) is not None
        else f"narrow the glob to accepted types ({', '.join(sorted(DOCUMENT_TYPES))})"
    )
    yield Finding(
        CODE,
        f"each file is sent as the document's content, and {extension} files are not a content type Discovery"
        " Engine accepts",
        "/spec/source/glob",
        fix,
    )
