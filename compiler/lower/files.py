"""Lowering every document of checked files into plans, collecting (never raising) lowering errors.

Takes the linter's checked files (anything with `path`, `sha256` and `documents`), so the build lowers exactly
what was validated, without reading or parsing the files a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from compiler.load import load_bytes
from compiler.lower.draft import LoweringError
from compiler.lower.inputs import InputPathError, input_file
from compiler.lower.pipeline import lower
from compiler.plan import Plan


class CheckedFileLike(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def documents(self) -> tuple[Mapping[str, Any], ...]: ...


@dataclass(frozen=True, slots=True)
class LoweringProblem:
    """A lowering error located in its file: `FILE:LINE:COL: error[lowering] message (at /pointer)`."""

    path: str
    line: int
    column: int
    pointer: str
    message: str

    def render(self) -> str:
        at = f" (at {self.pointer})" if self.pointer else ""
        return f"{self.path}:{self.line}:{self.column}: error[lowering] {self.message}{at}"


@dataclass(frozen=True, slots=True)
class Compiled:
    plans: tuple[Plan, ...]
    problems: tuple[LoweringProblem, ...]


def _locate(path: str, index: int, error: LoweringError) -> LoweringProblem:
    """Find the line and column of the field at fault (re-reading the file only on this error path)."""
    line = column = 1
    try:
        loaded = load_bytes(Path(path).read_bytes(), path)
        if index < len(loaded.documents):
            span = loaded.documents[index].positions.of_value(error.pointer)
            line, column = span.line, span.column
    except OSError:
        pass
    return LoweringProblem(path, line, column, error.pointer, error.message)


def lower_files(files: Sequence[CheckedFileLike], root: Path | None = None) -> Compiled:
    """One plan per connector document, in input order; problems instead of exceptions."""
    plans: list[Plan] = []
    problems: list[LoweringProblem] = []
    for checked in files:
        try:
            inputs = (input_file(checked.path, checked.sha256, root),)
        except InputPathError as exc:
            problems.append(LoweringProblem(checked.path, 1, 1, "", str(exc)))
            continue
        for index, document in enumerate(checked.documents):
            try:
                plans.append(lower(document, inputs))
            except LoweringError as exc:
                problems.append(_locate(checked.path, index, exc))
    return Compiled(tuple(plans), tuple(problems))
