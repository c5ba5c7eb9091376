"""What a check reports before the checker stamps file, position and severity on it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from compiler.check.codes import lookup
from compiler.diagnostics import Diagnostic, Fix, FixKind
from compiler.load.positions import Span


@dataclass(frozen=True, slots=True)
class FixEdit:
    """What a check knows about a certain fix; the checker adds the document it belongs to."""

    kind: FixKind
    value: str
    description: str


@dataclass(frozen=True, slots=True)
class Finding:
    """`pointer` locates the value; `at_key` points at the key instead (unknown or misplaced fields)."""

    code: str
    message: str
    pointer: str
    suggestion: str | None = None
    at_key: bool = False
    line_offset: int = 0
    """Lines below the start of the value (a parse error inside a block-scalar query)."""
    fix: FixEdit | None = None


MAX_SUGGESTION_CANDIDATES = 1000
"""Beyond this many candidates a suggestion costs more than it helps: each lookup compares with all of them, and a
file can make thousands of lookups (3,000 unknown template variables against 3,000 columns took 19 s)."""


MAX_SUGGESTIONS = 50
"""Suggestions a rule computes per document; later findings of the same rule say how to fix without one."""


def close_matches(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    choices = list(candidates)
    if len(choices) > MAX_SUGGESTION_CANDIDATES:
        return []
    return difflib.get_close_matches(word, choices, n=n, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """'did you mean ...?' for the closest candidate, as Terraform and sqlglot do."""
    choices = list(candidates)
    if len(choices) > MAX_SUGGESTION_CANDIDATES:
        return None
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def listing(names: Sequence[str], limit: int = 20) -> str:
    """`a, b, c` for a message, shortened to `a, b, ... and 480 more` so that long lists do not flood output."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... and {len(names) - limit} more"


def make_diagnostic(
    path: str, span: Span, code: str, message: str, pointer: str, suggestion: str | None, fix: Fix | None = None
) -> Diagnostic:
    """Stamp file, range and the code's severity onto a finding."""
    return Diagnostic(
        file=path,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        pointer=pointer,
        severity=lookup(code).severity,
        code=code,
        message=message,
        suggestion=suggestion,
        fix=fix,
    )
