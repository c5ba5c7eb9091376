"""One finding about one connector file: where, how bad, which code, what to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


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

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)
