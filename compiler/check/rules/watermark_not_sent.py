"""GS124 watermark-not-sent (warning): a rest_pull records `watermarkField` but never sends it.

The checkpoint reaches the API only through `watermarkParam` (a query parameter) or `watermarkBodyField` (a field
of the POST body). Without either, every run reads everything: a snapshot, which is safe, but perhaps not what was
meant. The earlier tool sent `watermark=<checkpoint>` implicitly; files moved over from it no longer do, and say
so here instead of changing meaning silently.

**Bad**

```yaml
url: https://kb.example.com/api/articles
watermarkField: updated_at
```

**Good**

```yaml
url: https://kb.example.com/api/articles
watermarkField: updated_at
watermarkParam: watermark
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS124"
SENDERS = ("watermarkParam", "watermarkBodyField")


def check(connector: Connector) -> Iterator[Finding]:
    source = connector.source
    if connector.mode != "rest_pull" or "watermarkField" not in source:
        return
    if any(sender in source for sender in SENDERS):
        return
    yield Finding(
        CODE,
        f"watermarkField {source['watermarkField']!r} is recorded but never sent, so every run reads a full "
        "snapshot (the earlier tool sent watermark=<checkpoint> implicitly; this one sends only what you declare)",
        "/spec/source/watermarkField",
        "to read only changes, add watermarkParam: watermark (and use soft_delete_only or never_delete); "
        "to keep full snapshots, remove watermarkField",
        at_key=True,
    )
