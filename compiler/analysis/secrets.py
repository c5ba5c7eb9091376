"""secretRef -> environment variable name, the one rule shared by the linter and the plan.

>>> secret_env_name("hr-db.credentials")
'SECRET_HR_DB_CREDENTIALS'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
"""Request headers that carry credentials: never in a connector or a plan; the secret supplies them."""


def secret_env_name(secret_ref: str) -> str:
    return "SECRET_" + secret_ref.upper().replace("-", "_").replace(".", "_")


def secret_refs(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(secretRef, pointer) for every secret a schema-valid connector spec names."""
    source = spec["source"]
    if "secretRef" in source:  # a file_pull source has none: buckets are read with the runtime's own credentials
        yield source["secretRef"], "/spec/source/secretRef"
    oauth = source.get("oauth")
    if oauth and "clientSecretRef" in oauth:  # without it, secretRef holds the client secret
        yield oauth["clientSecretRef"], "/spec/source/oauth/clientSecretRef"
