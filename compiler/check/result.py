"""The outcome of checking one file (light: no schema or SQL machinery behind it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.check.facts import ConnectorFacts
from compiler.check.suppressions import Suppression
from compiler.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """Everything learned about one file. `documents` holds the data of each schema-valid document; `diagnostics`
    are as found, before suppressions and per-repository severities (`compiler.check.policy`) apply."""

    path: str
    sha256: str
    diagnostics: tuple[Diagnostic, ...]
    facts: tuple[ConnectorFacts, ...]
    documents: tuple[Any, ...]
    suppressions: tuple[Suppression, ...] = ()
