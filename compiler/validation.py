"""The linter's front door: paths in, a `ValidationResult` out. Used by `validate_connectors.py`,
`compiler validate`, `compiler build` and the docs gate.

Files are checked independently (in parallel when there are many and no cache answer), then the cross-file
rules run over the facts of all of them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from compiler.cache import LintCache
from compiler.check import CheckedFile, check_file, check_project
from compiler.diagnostics import Diagnostic, Severity

YAML_SUFFIXES = (".yaml", ".yml")
PARALLEL_THRESHOLD = 200
"""Below this many files to check, starting worker processes costs more than it saves."""

__all__ = ["CheckedFile", "UsageError", "ValidationResult", "discover", "validate_paths", "validate_text"]


class UsageError(Exception):
    """A path that does not exist or cannot be read: exit code 2, not a finding."""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    files: tuple[CheckedFile, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.errors or (strict and self.warnings) else 0


def display_path(path: Path) -> str:
    """Relative to the working directory when inside it, always with '/'."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover(paths: Sequence[str]) -> list[Path]:
    """Files named directly, plus every *.yaml / *.yml below named folders, sorted and without repeats."""
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix in YAML_SUFFIXES and child.is_file():
                    found.setdefault(str(child.resolve()), child)
        elif path.is_file():
            found.setdefault(str(path.resolve()), path)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return sorted(found.values(), key=display_path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{display_path(path)}: cannot read: {exc.strerror or exc}") from None


def _check_one(item: tuple[bytes, str, bool]) -> CheckedFile:
    raw, shown, check_file_name = item
    return check_file(raw, shown, check_file_name=check_file_name)


def validate_paths(
    paths: Sequence[str], *, use_cache: bool = False, check_file_name: bool = True, jobs: int | None = None
) -> ValidationResult:
    """Check every connector file under `paths`. Raises UsageError for missing or unreadable paths.

    With `use_cache`, results come from the lint cache where the file is unchanged; cached results carry
    diagnostics and facts but not the documents' data (callers that compile plans leave the cache off).
    """
    files = discover(paths)
    cache = LintCache() if use_cache else None
    results: dict[str, CheckedFile] = {}
    pending: list[tuple[bytes, str, bool]] = []
    for path in files:
        raw = _read(path)
        shown = display_path(path)
        cached = cache.get(shown, hashlib.sha256(raw).hexdigest(), check_file_name) if cache else None
        if cached is not None:
            results[shown] = cached
        else:
            pending.append((raw, shown, check_file_name))
    workers = min(jobs or os.cpu_count() or 1, 8)
    if len(pending) >= PARALLEL_THRESHOLD and workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            checked = list(pool.map(_check_one, pending, chunksize=max(1, len(pending) // (workers * 4))))
    else:
        checked = [_check_one(item) for item in pending]
    for report in checked:
        results[report.path] = report
        if cache is not None:
            cache.put(report, check_file_name)
    if cache is not None:
        cache.save()
    ordered = tuple(results[display_path(path)] for path in files)
    diagnostics = [d for report in ordered for d in report.diagnostics]
    diagnostics.extend(check_project(f for report in ordered for f in report.facts))
    diagnostics.sort(key=Diagnostic.sort_key)
    return ValidationResult(ordered, tuple(diagnostics))


def validate_text(text: str, *, path: str, check_file_name: bool = True) -> list[Diagnostic]:
    """Check connector YAML held in memory (e.g. an example in the docs), cross-file rules included."""
    report = check_file(text.encode(), path, check_file_name=check_file_name)
    return sorted([*report.diagnostics, *check_project(report.facts)], key=Diagnostic.sort_key)
