"""GS121 output-shared: no two connectors write their artifacts to the same folder (bucket + prefix).

Each run publishes `runs/<run id>/` under the folder and the folder's runs are read in order: two connectors in
one folder interleave their runs, so an importer would apply one connector's deletes to the other's documents.
The prefix defaults to metadata.name; two connectors with one name are GS102's finding, not also this one.

**Bad** (two files)

```yaml
output:
  bucket: gs://example-sync-artifacts
  prefix: hr
---
output:
  bucket: gs://example-sync-artifacts
  prefix: hr
```

**Good**

```yaml
output:
  bucket: gs://example-sync-artifacts
  prefix: hr-employees
---
output:
  bucket: gs://example-sync-artifacts
  prefix: hr-contractors
```
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.check.facts import ConnectorFacts, ProjectFinding

CODE = "GS121"


def check(connectors: Sequence[ConnectorFacts]) -> Iterator[ProjectFinding]:
    first: dict[str, ConnectorFacts] = {}
    for facts in connectors:
        output = facts.output
        if output is None:
            continue
        earlier = first.setdefault(output.place, facts)
        if earlier is facts or earlier.name == facts.name or earlier.output is None:
            continue
        yield ProjectFinding(
            facts.file,
            output.span,
            CODE,
            f"connector {facts.name!r} writes its runs to {output.place}, as does {earlier.name!r} "
            f"({earlier.file}:{earlier.output.span.line}); their runs would overwrite and delete each other's",
            output.pointer,
            "give each connector its own spec.output.prefix (it defaults to metadata.name)",
        )
