"""Cross-file rules: run once over the facts of every connector checked together (cached or not)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from compiler.check.facts import ConnectorFacts, ProjectFinding
from compiler.check.finding import make_diagnostic
from compiler.check.rules import data_store_shared, output_shared, secret_env_collision, unique_name
from compiler.diagnostics import Diagnostic


class ProjectRule(Protocol):
    CODE: str

    def check(self, connectors: Sequence[ConnectorFacts]) -> Iterator[ProjectFinding]: ...


PROJECT_RULES: tuple[ProjectRule, ...] = (unique_name, secret_env_collision, output_shared, data_store_shared)


def check_project(facts: Iterable[ConnectorFacts]) -> list[Diagnostic]:
    """Unique names and secret collisions over every valid connector checked together."""
    ordered = sorted(facts, key=lambda f: (f.file, f.document))
    found: list[ProjectFinding] = []
    for rule in PROJECT_RULES:
        found.extend(rule.check(ordered))
    return [make_diagnostic(f.file, f.span, f.code, f.message, f.pointer, f.suggestion) for f in found]
