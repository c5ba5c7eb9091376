"""GS115 credential-header: request headers never carry credentials.

Headers are written into plans and logs; a token there leaks. The token belongs in the secret named by
`secretRef`, which the runtime sends as a bearer token.

**Bad**

```yaml
headers:
  Authorization: Bearer abc123
```

**Good**

```yaml
secretRef: kb-api-token
headers:
  Accept: application/json
```
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.secrets import CREDENTIAL_HEADERS
from compiler.check.connector import Connector
from compiler.check.finding import Finding
from compiler.load.positions import join

CODE = "GS115"


def check(connector: Connector) -> Iterator[Finding]:
    for name in connector.source.get("headers", {}):
        if name.lower() in CREDENTIAL_HEADERS:
            yield Finding(
                CODE,
                f"header {name!r} carries credentials, which must never be written into a connector or plan",
                join("/spec/source/headers", name),
                "remove it; put the token in the secret named by secretRef",
                at_key=True,
            )
