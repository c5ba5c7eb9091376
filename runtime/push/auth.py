"""Bearer tokens: each connector's secret is the token its pushers present.

A presented token is compared with every connector's token, each in constant time (SHA-256 digests through
`hmac.compare_digest`, so neither the content nor the length of a token leaks through timing, nor which
connector it belongs to). No token or an unknown one is 401; a valid token for another connector is 403.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from runtime.errors import ConfigError


class Tokens:
    def __init__(self, tokens: Mapping[str, str]) -> None:
        digests = {name: hashlib.sha256(token.encode()).digest() for name, token in tokens.items()}
        seen: dict[bytes, str] = {}
        for name, digest in sorted(digests.items()):
            if digest in seen:
                raise ConfigError(
                    f"connectors {seen[digest]} and {name} share one push token; give each connector its own secret"
                    " so that a pusher can only reach its own connector"
                )
            seen[digest] = name
        self._digests = tuple(sorted(digests.items()))

    def identify(self, authorization: str | None) -> str | None:
        """The connector whose token the `Authorization: Bearer` header carries, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = hashlib.sha256(token.strip().encode()).digest()
        found: str | None = None
        for name, digest in self._digests:  # no early exit: every comparison runs
            if hmac.compare_digest(presented, digest):
                found = name
        return found
