"""GS101 name-matches-file: metadata.name must equal the file name stem.

The name keys state, artifacts and plans; a file named after something else is a rename waiting to
orphan its state. Applies to files holding one connector; in a multi-document file every connector still needs
its own name (GS102).

**Bad** (in `connectors/hr.yaml`)

```yaml
metadata:
  name: hr-employees
```

**Good** (in `connectors/hr-employees.yaml`)

```yaml
metadata:
  name: hr-employees
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS101"


def check(connector: Connector) -> Iterator[Finding]:
    if connector.name != connector.file_stem:
        yield Finding(
            CODE,
            f"metadata.name {connector.name!r} does not match the file name {connector.file_stem!r}",
            "/metadata/name",
            f"rename the file to {connector.name}.yaml, or set metadata.name to {connector.file_stem!r}",
        )
