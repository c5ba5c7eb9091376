"""What cross-file rules need to know about each connector, small enough to cache per file."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.load.positions import Span


@dataclass(frozen=True, slots=True)
class SecretFact:
    ref: str
    env: str
    pointer: str
    span: Span


@dataclass(frozen=True, slots=True)
class PlaceFact:
    """Where a connector writes (an artifact folder or a data store), and the field that says so."""

    place: str
    pointer: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConnectorFacts:
    file: str
    document: int
    name: str
    name_span: Span
    secrets: tuple[SecretFact, ...]
    output: PlaceFact | None = None
    """The artifact folder (bucket joined with prefix, as the plan's `base_uri`)."""
    data_store: PlaceFact | None = None
    """The Discovery Engine data store (project, location, data store id)."""


@dataclass(frozen=True, slots=True)
class ProjectFinding:
    """A cross-file finding: the file and span are known from the facts."""

    file: str
    span: Span
    code: str
    message: str
    pointer: str
    suggestion: str | None = None
