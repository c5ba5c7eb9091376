"""Human output: `FILE:LINE:COL: error[CODE] message`, the source line, a caret, and the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.report._types import SourceLines, summary_line

if TYPE_CHECKING:
    from compiler.diagnostics import Diagnostic
    from compiler.validation import ValidationResult


def _snippet(diagnostic: Diagnostic, lines: list[str] | None) -> list[str]:
    if not lines or not 0 < diagnostic.line <= len(lines):
        return []
    source = lines[diagnostic.line - 1].replace("\t", " ")
    gutter = str(diagnostic.line)
    width = 1
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column > diagnostic.column:
        width = diagnostic.end_column - diagnostic.column
    width = max(1, min(width, len(source) - diagnostic.column + 1))
    pad = " " * len(gutter)
    return [f" {gutter} | {source}", f" {pad} | {' ' * (diagnostic.column - 1)}{'^' * width}"]


def render(result: ValidationResult, sources: SourceLines) -> str:
    out: list[str] = []
    cached: dict[str, list[str] | None] = {}
    for d in result.diagnostics:
        if d.file not in cached:
            cached[d.file] = sources(d.file)
        out.append(f"{d.file}:{d.line}:{d.column}: {d.severity}[{d.code}] {d.message}")
        out.extend(_snippet(d, cached[d.file]))
        if d.suggestion:
            out.append(f"   = help: {d.suggestion}")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
