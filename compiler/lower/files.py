"""Lowering every document of checked files into plans, collecting (never raising) lowering errors.

Takes the linter's checked files, so the build lowers exactly
what was validated, without reading or parsing the files a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.check.result import CheckedFile
from compiler.load import MAX_FILE_BYTES, load_bytes
from compiler.lower.draft import LoweringError
from compiler.lower.inputs import InputPathError, input_file
from compiler.lower.pipeline import lower
from compiler.plan import Plan
from compiler.plan.files import read_regular_file


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
        loaded = load_bytes(read_regular_file(Path(path), MAX_FILE_BYTES), path)
        if index < len(loaded.documents):
            span = loaded.documents[index].positions.of_value(error.pointer)
            line, column = span.line, span.column
    except OSError:
        pass
    return LoweringProblem(path, line, column, error.pointer, error.message)


def _lower_file(
    path: str, sha256: str, documents: Sequence[Mapping[str, Any]], root: Path | None
) -> tuple[list[Plan], list[LoweringProblem]]:
    try:
        inputs = (input_file(path, sha256, root),)
    except InputPathError as exc:
        return [], [LoweringProblem(path, 1, 1, "", str(exc))]
    plans: list[Plan] = []
    problems: list[LoweringProblem] = []
    for index, document in enumerate(documents):
        try:
            plans.append(lower(document, inputs))
        except LoweringError as exc:
            problems.append(_locate(path, index, exc))
    return plans, problems


def lower_files(files: Sequence[CheckedFile], root: Path | None = None) -> Compiled:
    """One plan per connector document, in input order; problems instead of exceptions.

    Runs in this process on purpose: SQL and template parsing dominate, and `analyze_sql`/`analyze_template`
    are cached, so after an in-process validation lowering re-parses nothing (measured: 0.27 s for 1,000
    connectors, against 0.86 s in two forked workers with cold caches).
    """
    results = [_lower_file(f.path, f.sha256, f.documents, root) for f in files]
    plans = tuple(plan for file_plans, _ in results for plan in file_plans)
    problems = tuple(problem for _, file_problems in results for problem in file_problems)
    return Compiled(plans, problems)
