"""One finding about one connector file: where, how bad, which code, what to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class FixKind(StrEnum):
    RENAME_KEY = "rename-key"
    """Rename the key at `pointer` to `value` (a misspelt field with exactly one close match)."""
    SET_VALUE = "set-value"
    """Replace the string at `pointer` by `value`, keeping its quotes (a value in the wrong case, a stray newline)."""
    QUOTE = "quote"
    """Quote the plain scalar at `pointer` as written, so that YAML reads a string, not a number or boolean."""


@dataclass(frozen=True, slots=True)
class Fix:
    """A certain fix for one diagnostic: `compiler validate --fix` applies it, keeping the rest of the file."""

    kind: FixKind
    document: int
    pointer: str
    value: str
    description: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding. Lines and columns are 1-based; `end_*` close the range (inclusive line, exclusive column)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    pointer: str
    severity: Severity
    code: str
    message: str
    suggestion: str | None = None
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)
