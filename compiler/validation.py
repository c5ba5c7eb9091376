"""The linter's front door: paths in, a `ValidationResult` out. Used by `validate_connectors.py`,
`compiler validate`, `compiler build` and the docs gate.

Files are checked independently (in parallel when there are many and no cache answer), then the cross-file
rules run over the facts of all of them.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from compiler.cache import LintCache
from compiler.check.policy import apply_policy
from compiler.check.project import check_project
from compiler.check.result import CheckedFile
from compiler.check.settings import DEFAULT, Settings, SettingsError, find_settings
from compiler.check.suppressions import find_suppressions
from compiler.diagnostics import Diagnostic, Severity

YAML_SUFFIXES = (".yaml", ".yml")
PARALLEL_THRESHOLD = 200
"""Below this many files to check, starting worker processes costs more than it saves."""

__all__ = [
    "CheckedFile",
    "UsageError",
    "ValidationResult",
    "discover",
    "load_settings",
    "validate_paths",
    "validate_text",
]


class UsageError(Exception):
    """A path that does not exist or cannot be read, or bad settings: exit code 2, not a finding."""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The files checked and what to report about them (suppressions, settings and strictness applied)."""

    files: tuple[CheckedFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    strict: bool = False
    promoted: int = 0
    """Warnings reported as errors because the run is strict."""

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
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd + os.sep):
        return Path(absolute[len(cwd) + 1 :]).as_posix()
    return Path(path).as_posix()


def _add(found: dict[str, Path], path: Path) -> None:
    """One entry per file on disk: a symlink counts as the file it points to, whose own name wins."""
    if os.path.islink(path):
        found.setdefault(os.path.realpath(path), path)
    else:
        found[os.path.abspath(path)] = path


def discover(paths: Sequence[str], settings: Settings = DEFAULT) -> list[Path]:
    """Files named directly, plus every *.yaml / *.yml below named folders (hidden folders such as .git or
    .venv skipped, and what the settings exclude), sorted, each file once even when reached through a symlink."""
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if name.endswith(YAML_SUFFIXES) and not settings.excludes(Path(folder, name)):
                        _add(found, Path(folder, name))
        elif path.is_file():
            _add(found, path)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return sorted(found.values(), key=display_path)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{display_path(path)}: cannot read: {exc.strerror or exc}") from None


def _check_one_lean(item: tuple[bytes, str, bool]) -> CheckedFile:
    """As `_check_one`, without the documents' data: a worker sends back only what the caller reads."""
    return dataclasses.replace(_check_one(item), documents=())


def _check_one(item: tuple[bytes, str, bool]) -> CheckedFile:
    from compiler.check.checker import check_file  # heavy (schema, sqlglot, jinja): only when a file needs it

    raw, shown, check_file_name = item
    return check_file(raw, shown, check_file_name=check_file_name)


def _warm_up() -> None:
    """Build the schema validator and the SQL and template parsers once, before forking, so that workers
    share them; then freeze the heap so that the workers' garbage collector does not copy every page."""
    from compiler.check.checker import check_file

    check_file(_WARM_UP, "warm-up.yaml")
    gc.freeze()


_WARM_UP = b"""apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata: {name: warm-up}
spec:
  mode: sql_pull
  schedule: "0 * * * *"
  source: {type: postgres, secretRef: s, query: "SELECT id, t FROM d WHERE t >= :watermark", watermarkField: t}
  mapping: {idField: id, contentTemplate: "{{ t }}"}
  output: {bucket: "file://x"}
  gemini: {projectId: warm-up, location: global, dataStoreId: d}
  reconciliation: {deletePolicy: never_delete}
"""


def load_settings() -> Settings:
    """The repository's settings (see `compiler.check.settings`); UsageError when they are wrong."""
    try:
        return find_settings()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


def validate_paths(
    paths: Sequence[str],
    *,
    use_cache: bool = False,
    check_file_name: bool = True,
    jobs: int | None = None,
    strict: bool | None = None,
    settings: Settings | None = None,
    overrides: Mapping[str, bytes] | None = None,
) -> ValidationResult:
    """Check every connector file under `paths`. Raises UsageError for missing or unreadable paths.

    With `use_cache`, results come from the lint cache where the file is unchanged; cached results carry
    diagnostics and facts but not the documents' data (callers that compile plans leave the cache off).
    `settings` default to the repository's; `strict` (None: as the settings say) makes warnings errors.
    `overrides` replace the content of files by their shown path (`--diff` checks fixes it did not write).
    """
    settings = load_settings() if settings is None else settings
    files = discover(paths, settings)
    cache = LintCache(settings_key=settings.fingerprint()) if use_cache else None
    results: dict[str, CheckedFile] = {}
    pending: list[tuple[bytes, str, bool]] = []
    shown_paths = [display_path(path) for path in files]
    for path, shown in zip(files, shown_paths, strict=True):
        raw = overrides[shown] if overrides and shown in overrides else _read(path)
        cached = cache.get(shown, hashlib.sha256(raw).hexdigest(), check_file_name) if cache else None
        if cached is not None:
            results[shown] = cached
        else:
            pending.append((raw, shown, check_file_name))
    workers = min(jobs or os.cpu_count() or 1, 8)
    if len(pending) >= PARALLEL_THRESHOLD and workers > 1:
        _warm_up()
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            worker = _check_one_lean if use_cache else _check_one
            checked = list(pool.map(worker, pending, chunksize=max(1, len(pending) // (workers * 4))))
    else:
        checked = [_check_one(item) for item in pending]
    for report in checked:
        results[report.path] = report
        if cache is not None:
            cache.put(report, check_file_name)
    if cache is not None:
        cache.save()
    ordered = tuple(results[shown] for shown in shown_paths)
    diagnostics = [d for report in ordered for d in report.diagnostics]
    diagnostics.extend(check_project(f for report in ordered for f in report.facts))
    strict = settings.strict if strict is None else strict
    suppressions = {report.path: report.suppressions for report in ordered if report.suppressions}
    reported, promoted = apply_policy(diagnostics, suppressions, settings, strict)
    return ValidationResult(ordered, tuple(reported), strict, promoted)


def validate_text(text: str, *, path: str, check_file_name: bool = True) -> list[Diagnostic]:
    """Check connector YAML held in memory (e.g. an example in the docs), cross-file rules and suppression
    comments included, with the default settings."""
    from compiler.check.checker import check_file

    report = check_file(text.encode(), path, check_file_name=check_file_name)
    suppressions = {path: find_suppressions(text)}
    reported, _ = apply_policy([*report.diagnostics, *check_project(report.facts)], suppressions, DEFAULT, False)
    return reported
