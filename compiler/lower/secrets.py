"""Secrets pass: every secretRef becomes a name and the environment variable it resolves from. Never a value.

>>> env_name("hr-db.credentials")
'SECRET_HR_DB_CREDENTIALS'
"""

from __future__ import annotations

from compiler.lower.draft import Draft
from compiler.plan import Secret


def env_name(ref: str) -> str:
    """`SECRET_<NAME>`: upper-cased, `-` and `.` become `_` (the connector format's rule)."""
    return "SECRET_" + ref.upper().replace("-", "_").replace(".", "_")


def secret_refs(draft: Draft) -> tuple[str, ...]:
    """Every secretRef the connector names: the source's, then the OAuth client secret's."""
    source = draft.spec["source"]
    refs = [str(source["secretRef"])]
    oauth = source.get("oauth")
    if oauth is not None:
        refs.append(str(oauth["clientSecretRef"]))
    return tuple(refs)


def lower_secrets(draft: Draft) -> Draft:
    """Declare the connector's secrets, sorted by name and without duplicates."""
    names = sorted(set(secret_refs(draft)))
    return draft.replace(secrets=tuple(Secret(name=name, env=env_name(name)) for name in names))
