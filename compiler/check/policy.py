"""What a run reports: the findings as checked, less what comments silence, at the severities the repository sets,
with warnings counted as errors under `--strict` (so every reporter shows them as failures)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from compiler.check.settings import Settings
from compiler.check.suppressions import Suppression, apply_suppressions
from compiler.diagnostics import Diagnostic, Severity


def apply_policy(
    diagnostics: Iterable[Diagnostic],
    suppressions: dict[str, tuple[Suppression, ...]],
    settings: Settings,
    strict: bool,
) -> tuple[list[Diagnostic], int]:
    """The diagnostics to report, sorted, and how many of them are warnings that `strict` made errors."""
    reported: list[Diagnostic] = []
    promoted = 0
    for diagnostic in apply_suppressions(diagnostics, suppressions):
        severity = settings.severity.get(diagnostic.code, diagnostic.severity)
        if diagnostic.code in settings.severity and severity is None:
            continue  # turned off for this repository
        assert severity is not None
        if strict and severity is Severity.WARNING:
            severity = Severity.ERROR
            promoted += 1
        reported.append(
            diagnostic if severity is diagnostic.severity else dataclasses.replace(diagnostic, severity=severity)
        )
    reported.sort(key=Diagnostic.sort_key)
    return reported, promoted
