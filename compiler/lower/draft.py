"""The partial plan that lowering passes fill in, one part per pass.

A pass is a pure function `Draft -> Draft`: it reads the validated connector (never mutating it) and the parts
earlier passes produced, and returns a new draft with its own part set (`dataclasses.replace`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from compiler.plan import (
    Extraction,
    InputFile,
    Output,
    Reconciliation,
    Secret,
    Source,
    Target,
)
from compiler.plan import (
    Mapping as DocumentMapping,
)


class LoweringError(ValueError):
    """A valid connector that cannot be lowered; `pointer` is the JSON pointer of the field at fault."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True, slots=True)
class Draft:
    """A plan being built. `connector` is the validated connector document (plain JSON-like data)."""

    connector: Mapping[str, Any]
    inputs: tuple[InputFile, ...]
    secrets: tuple[Secret, ...] = ()
    source: Source | None = None
    extraction: Extraction | None = None
    mapping: DocumentMapping | None = None
    reconciliation: Reconciliation | None = None
    output: Output | None = None
    target: Target | None = None
    ingestion_enabled: bool = True

    @property
    def name(self) -> str:
        return str(self.connector["metadata"]["name"])

    @property
    def spec(self) -> Mapping[str, Any]:
        spec: Mapping[str, Any] = self.connector["spec"]
        return spec

    def secret(self, ref: str) -> Secret:
        """The Secret for `ref`, as declared by the secrets pass (which must run first)."""
        for secret in self.secrets:
            if secret.name == ref:
                return secret
        raise LookupError(f"secret {ref!r} was not declared by the secrets pass")  # pass-order bug

    def replace(self, **parts: Any) -> Draft:
        return dataclasses.replace(self, **parts)


class Pass(Protocol):
    """One lowering step; the same signature for every pass."""

    def __call__(self, draft: Draft, /) -> Draft: ...
