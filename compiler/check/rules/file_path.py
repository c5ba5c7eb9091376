"""GS150 file-path: a file_pull path is a local folder or a gs:// bucket prefix.

A relative path is resolved against the connector's repository (the source root), never the working directory,
so it must stay inside it; other URL schemes (`s3://`, `file://`, `https://`) are not folders this tool reads.

**Bad**

```yaml
type: file
path: s3://exports/hr
```

**Good**

```yaml
type: file
path: gs://example-exports/hr
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.files import PathProblem, parse_folder
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS150"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.mode != "file_pull":
        return
    try:
        parse_folder(connector.source["path"])
    except PathProblem as problem:
        yield Finding(CODE, f"spec.source.path: {problem.message}", "/spec/source/path", problem.fix)
