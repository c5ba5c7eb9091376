"""Reporters: the only code that turns diagnostics into output. One module per format, chosen by name.

Every reporter is `render(result, sources) -> str`; `sources(path)` returns a file's lines for snippets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from compiler.report import github, json_report, junit, sarif, text
from compiler.report._types import Reporter, SourceLines
from compiler.validation import ValidationResult

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "github": github.render,
    "sarif": sarif.render,
    "junit": junit.render,
}

__all__ = ["REPORTERS", "Reporter", "SourceLines", "file_lines", "render"]


_LINE_BREAKS = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
"""YAML's (libyaml's) line breaks; str.splitlines() also splits at form feeds and other controls, which would shift
every later snippet by a line."""


def file_lines(path: str) -> list[str] | None:
    """Read a file's lines for a snippet; None when it is gone or not text."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return _LINE_BREAKS.split(text)


def render(result: ValidationResult, fmt: str, sources: Callable[[str], list[str] | None] = file_lines) -> str:
    """Render `result` in format `fmt` (a key of REPORTERS)."""
    return REPORTERS[fmt](result, sources)
