"""Secrets pass: every secretRef becomes a name and the environment variable it resolves from. Never a value."""

from __future__ import annotations

from compiler.analysis.secrets import secret_env_name, secret_refs
from compiler.lower.draft import Draft
from compiler.plan import Secret


def lower_secrets(draft: Draft) -> Draft:
    """Declare the connector's secrets (the source's, then OAuth's), sorted by name and without duplicates."""
    names = sorted({ref for ref, _pointer in secret_refs(draft.spec)})
    return draft.replace(secrets=tuple(Secret(name=name, env=secret_env_name(name)) for name in names))
