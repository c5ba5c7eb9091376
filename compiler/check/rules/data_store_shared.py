"""GS122 data-store-shared: two connectors feed one data store (same projectId, location and dataStoreId).

A warning, because it can be intended, but each connector reconciles only its own records: document ids of the
two can collide (both derive them from their own id columns), and then one connector's update or delete
replaces or removes the other's document. Prefer one data store per connector; if they must share one, make
the ids disjoint (e.g. a per-source prefix in the id column) and keep `never_delete` or `soft_delete_only`. Connectors that share a name are GS102's finding instead.

**Bad** (two files)

```yaml
gemini:
  projectId: example-project
  location: global
  dataStoreId: hr-ds
---
gemini:
  projectId: example-project
  location: global
  dataStoreId: hr-ds
```

**Good**

```yaml
gemini:
  projectId: example-project
  location: global
  dataStoreId: hr-employees-ds
---
gemini:
  projectId: example-project
  location: global
  dataStoreId: hr-contractors-ds
```
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.check.facts import ConnectorFacts, ProjectFinding

CODE = "GS122"


def check(connectors: Sequence[ConnectorFacts]) -> Iterator[ProjectFinding]:
    first: dict[str, ConnectorFacts] = {}
    for facts in connectors:
        store = facts.data_store
        if store is None:
            continue
        earlier = first.setdefault(store.place, facts)
        if earlier is facts or earlier.name == facts.name or earlier.data_store is None:
            continue
        yield ProjectFinding(
            facts.file,
            store.span,
            CODE,
            f"connector {facts.name!r} feeds {store.place}, as does {earlier.name!r} "
            f"({earlier.file}:{earlier.data_store.span.line}); if their document ids collide, one connector's "
            "updates and deletes replace or remove the other's documents",
            store.pointer,
            "use one data store per connector, or make the two id spaces disjoint (e.g. prefix the id column)",
        )
