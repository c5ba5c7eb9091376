"""Human output: `FILE:LINE:COL: error[CODE] message`, the source line, a caret, and the fix."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from compiler.report._types import SourceLines, summary_line

if TYPE_CHECKING:
    from compiler.diagnostics import Diagnostic
    from compiler.validation import ValidationResult


SNIPPET_WIDTH = 120
"""Longest source excerpt shown; a longer line is cut to a window around the column."""
_CONTEXT = 40


def _printable(text: str) -> str:
    """One visible character per source character, so the caret stays aligned and the terminal stays sane."""
    return "".join(ch if ch.isprintable() else ("\N{REPLACEMENT CHARACTER}" if ch != "\t" else " ") for ch in text)


def _snippet(diagnostic: Diagnostic, lines: list[str] | None) -> list[str]:
    if not lines or not 0 < diagnostic.line <= len(lines):
        return []
    source = lines[diagnostic.line - 1]
    column = diagnostic.column
    width = 1
    if diagnostic.end_line == diagnostic.line and diagnostic.end_column > diagnostic.column:
        width = diagnostic.end_column - diagnostic.column
    if len(source) > SNIPPET_WIDTH:  # cut first: a long line can carry thousands of findings
        start = max(0, min(column - 1 - _CONTEXT, len(source) - SNIPPET_WIDTH))
        end = start + SNIPPET_WIDTH
        source = ("..." if start else "") + source[start:end] + ("..." if end < len(source) else "")
        column = column - start + (3 if start else 0)
    source = _printable(source)
    width = max(1, min(width, len(source) - column + 1))
    gutter = str(diagnostic.line)
    pad = " " * len(gutter)
    before = _cells(source[: column - 1])
    carets = max(1, _cells(source[column - 1 : column - 1 + width]))
    return [f" {gutter} | {source}", f" {pad} | {' ' * before}{'^' * carets}"]


def _cells(text: str) -> int:
    """Terminal columns of `text`: wide (East Asian, emoji) characters take two, so the caret stays under its mark."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


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
        if d.fix:
            out.append(f"   = fix: {d.fix.description} (compiler validate --fix)")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
