"""GS102 unique-name: no two connectors share metadata.name (across every file checked).

Names key state, artifacts and plans; two connectors with one name would overwrite each other.

**Bad** (two files)

```yaml
metadata:
  name: hr-employees
---
metadata:
  name: hr-employees
```

**Good**

```yaml
metadata:
  name: hr-employees
---
metadata:
  name: hr-contractors
```
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.check.facts import ConnectorFacts, ProjectFinding

CODE = "GS102"


def check(connectors: Sequence[ConnectorFacts]) -> Iterator[ProjectFinding]:
    first: dict[str, ConnectorFacts] = {}
    for facts in connectors:
        earlier = first.setdefault(facts.name, facts)
        if earlier is facts:
            continue
        yield ProjectFinding(
            facts.file,
            facts.name_span,
            CODE,
            f"metadata.name {facts.name!r} is already used by {earlier.file}:{earlier.name_span.line}",
            "/metadata/name",
            "give each connector its own name",
        )
