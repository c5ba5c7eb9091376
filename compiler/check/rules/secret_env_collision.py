"""GS104 secret-env-collision: different secretRefs must map to different SECRET_* variables.

`hr-db.credentials` and `hr-db-credentials` both read `SECRET_HR_DB_CREDENTIALS`, so one connector would
silently use the other's secret. Sharing the very same secretRef is fine.

**Bad**

```yaml
secretRef: hr-db.credentials
---
secretRef: hr-db-credentials
```

**Good**

```yaml
secretRef: hr-db-credentials
---
secretRef: hr-db-credentials
```
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.check.facts import ConnectorFacts, ProjectFinding, SecretFact

CODE = "GS104"


def check(connectors: Sequence[ConnectorFacts]) -> Iterator[ProjectFinding]:
    first: dict[str, tuple[ConnectorFacts, SecretFact]] = {}
    for facts in connectors:
        for secret in facts.secrets:
            earlier_facts, earlier = first.setdefault(secret.env, (facts, secret))
            if earlier.ref == secret.ref:
                continue
            yield ProjectFinding(
                facts.file,
                secret.span,
                CODE,
                f"secretRef {secret.ref!r} reads {secret.env}, as does {earlier.ref!r} "
                f"({earlier_facts.file}:{earlier.span.line})",
                secret.pointer,
                f"use {earlier.ref!r} in both places if they are the same secret, else rename one",
            )
