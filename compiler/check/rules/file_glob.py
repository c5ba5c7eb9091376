"""GS151 file-glob: the glob is a file-name pattern inside the folder.

It is matched against the names of the files directly in `path` (`*`, `?`, `[abc]`, `[!abc]`), not recursively;
an unclosed `[` would silently match itself.

**Bad**

```yaml
type: file
path: exports
glob: "hr/**/*.csv"
```

**Good**

```yaml
type: file
path: exports/hr
glob: "*.csv"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.files import glob_problem
from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS151"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.mode != "file_pull" or "glob" not in connector.source:
        return
    problem = glob_problem(connector.source["glob"])
    if problem is not None:
        message, fix = problem
        yield Finding(CODE, f"spec.source.glob: {message}", "/spec/source/glob", fix)
