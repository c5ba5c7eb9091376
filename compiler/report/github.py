"""GitHub Actions workflow commands: one `::error file=...,line=...::message` annotation per diagnostic.

`file=` is relative to the repository root (what GitHub resolves annotations against); under `--strict` the
warnings that fail the run arrive here as errors, so they are `::error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.report._types import SourceLines, summary_line
from compiler.report.locations import annotation_path

if TYPE_CHECKING:
    from compiler.validation import ValidationResult


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(result: ValidationResult, sources: SourceLines) -> str:
    out = []
    for d in result.diagnostics:
        level = "error" if d.severity == "error" else "warning"
        message = d.message + (f" ({d.suggestion})" if d.suggestion else "")
        props = (
            f"file={_property(annotation_path(d.file))},line={d.line},col={d.column},endLine={d.end_line},"
            f"endColumn={d.end_column},title={_property(d.code)}"
        )
        out.append(f"::{level} {props}::{_data(message)}")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
