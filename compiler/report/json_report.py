"""Machine output, versioned like Terraform's: `{"format_version": "1", "diagnostics": [...], "summary": {...}}`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from compiler.report._types import SourceLines

if TYPE_CHECKING:
    from compiler.validation import ValidationResult

FORMAT_VERSION = "1"
FIELDS = (
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "pointer",
    "severity",
    "code",
    "message",
    "suggestion",
)


def render(result: ValidationResult, sources: SourceLines) -> str:
    report = {
        "format_version": FORMAT_VERSION,
        "diagnostics": [
            {
                **{field: str(getattr(d, field)) if field == "severity" else getattr(d, field) for field in FIELDS},
                "fix": d.fix.description if d.fix else None,
            }
            for d in result.diagnostics
        ],
        "summary": {
            "files": len(result.files),
            "files_with_findings": len({d.file for d in result.diagnostics}),
            "errors": result.errors,
            "warnings": result.warnings,
            "strict": result.strict,
            "fixable": sum(1 for d in result.diagnostics if d.fix),
        },
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
