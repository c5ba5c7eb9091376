from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.validation import ValidationResult

SourceLines = Callable[[str], "list[str] | None"]
Reporter = Callable[["ValidationResult", SourceLines], str]


def summary_line(result: ValidationResult) -> str:
    files = len(result.files)
    with_findings = len({d.file for d in result.diagnostics})
    checked = f"{files} file{'s' if files != 1 else ''} checked"
    if not result.diagnostics:
        return f"{checked}: no problems"
    errors = f"{result.errors} error{'s' if result.errors != 1 else ''}"
    warnings = f"{result.warnings} warning{'s' if result.warnings != 1 else ''}"
    plural = "s" if result.promoted != 1 else ""
    strict = f" ({result.promoted} warning{plural} counted as error{plural}: strict)" if result.promoted else ""
    return f"{checked}: {errors}, {warnings} in {with_findings} file{'s' if with_findings != 1 else ''}{strict}"
