"""Per-repository linter settings: `[tool.gemini-sync]` in pyproject.toml, or a `.gemini-sync.yaml`.

    [tool.gemini-sync]                      # .gemini-sync.yaml
    strict = true                           # strict: true
    exclude = ["connectors/kustomization.yaml", "connectors/base/"]
    severity = { GS109 = "error", GS101 = "off" }

The nearest folder holding either file, from the current directory up to the git work tree's root, is the
settings root; `exclude` patterns are relative to it. A code that cannot be silenced (`Code.silenceable`) may be
raised to an error but never lowered or turned off. A bad settings file is a usage error (exit 2) naming the file,
the line where it can be found, and the fix.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from compiler.check.codes import BY_CODE
from compiler.check.finding import did_you_mean
from compiler.diagnostics import Severity

YAML_NAME = ".gemini-sync.yaml"
PYPROJECT = "pyproject.toml"
TABLE = "gemini-sync"
KEYS = ("strict", "exclude", "severity")
OFF = "off"
LEVELS = ("error", "warning", OFF)


class SettingsError(Exception):
    """`FILE:LINE: message`, ready to print; the command exits 2."""


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path | None = None
    """The folder of the settings file (None: no settings file, every default)."""
    source: str | None = None
    strict: bool = False
    exclude: tuple[str, ...] = ()
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    """Code -> its severity here; None turns the code off."""

    def fingerprint(self) -> str:
        """Part of the lint cache key: a change of settings never serves results computed under others."""
        data = {
            "strict": self.strict,
            "exclude": list(self.exclude),
            "severity": {code: str(level) if level else OFF for code, level in sorted(self.severity.items())},
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]

    def excludes(self, path: Path) -> bool:
        """Whether a file found in a folder is left out: a pattern matches its path relative to the settings root,
        one of its parent folders, or (for a pattern without '/') its name."""
        if not self.exclude or self.root is None:
            return False
        try:
            relative = PurePosixPath(path.resolve().relative_to(self.root.resolve()).as_posix())
        except ValueError:
            return False
        candidates = [str(relative), *(str(parent) for parent in relative.parents if str(parent) != ".")]
        for pattern in self.exclude:
            clean = pattern.strip("/")
            if "/" not in clean and fnmatch.fnmatchcase(relative.name, clean):
                return True
            if any(fnmatch.fnmatchcase(candidate, clean) for candidate in candidates):
                return True
        return False


DEFAULT = Settings()


def _line_of(text: str, needle: str) -> int:
    """The first line mentioning `needle` (TOML parsers give no positions for values that parse but are wrong)."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def _parse(raw: Any, source: str, text: str, root: Path) -> Settings:
    def fail(message: str, needle: str) -> SettingsError:
        return SettingsError(f"{source}:{_line_of(text, needle)}: {message}")

    if not isinstance(raw, dict):
        raise fail("the settings must be a mapping of strict, exclude and severity", "")
    for key in raw:
        if key not in KEYS:
            hint = did_you_mean(str(key), KEYS) or f"the settings are {', '.join(KEYS)}"
            raise fail(f"unknown setting {key!r}; {hint}", str(key))
    strict = raw.get("strict", False)
    if not isinstance(strict, bool):
        raise fail(f"strict must be true or false, not {strict!r}", "strict")
    exclude = raw.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(item, str) and item.strip("/") for item in exclude):
        raise fail(
            "exclude must be a list of paths or glob patterns, e.g. ['connectors/kustomization.yaml']", "exclude"
        )
    severity = raw.get("severity", {})
    if not isinstance(severity, dict):
        raise fail("severity must map codes to error, warning or off, e.g. {GS109: error}", "severity")
    levels: dict[str, Severity | None] = {}
    for name, level in severity.items():
        code = BY_CODE.get(str(name))
        if code is None:
            hint = did_you_mean(str(name), BY_CODE) or "the codes are listed in docs/diagnostics.md"
            raise fail(f"severity: {name!r} is not a diagnostic code; {hint}", str(name))
        if level not in LEVELS:
            raise fail(f"severity of {name} must be one of {', '.join(LEVELS)}, not {level!r}", str(name))
        wanted = None if level == OFF else Severity(level)
        lowered = wanted is None or (wanted is Severity.WARNING and code.severity is Severity.ERROR)
        if lowered and not code.silenceable:
            reason = "protects data" if code.protects_data else "is a reading or schema error"
            raise fail(f"{name} {reason}: its severity can be raised but not lowered or turned off", str(name))
        levels[code.code] = wanted
    return Settings(root, source, strict, tuple(exclude), levels)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the settings: {exc}") from None


def load_settings_file(path: Path, shown: str) -> Settings | None:
    """The settings in `path` (a .gemini-sync.yaml or a pyproject.toml), or None when a pyproject has none."""
    text = _read(path)
    if path.name == PYPROJECT:
        try:
            table = tomllib.loads(text).get("tool", {}).get(TABLE)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{shown}: not valid TOML: {exc}") from None
        if table is None:
            return None
        return _parse(table, shown, text, path.parent)
    from compiler.load.yaml_reader import read_documents

    documents = list(read_documents(text))
    for document in documents:
        for problem in document.problems:
            where = f"{shown}:{problem.span.line}:{problem.span.column}"
            raise SettingsError(f"{where}: not valid YAML: {problem.message}")
    if len(documents) > 1:
        raise SettingsError(f"{shown}: holds {len(documents)} YAML documents; write one mapping")
    raw = documents[0].data if documents else None
    return _parse({} if raw is None else raw, shown, text, path.parent)


def find_settings(start: Path | None = None) -> Settings:
    """The settings that apply in `start` (default: the current directory), else the defaults."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        found = [
            settings
            for name in (YAML_NAME, PYPROJECT)
            if (candidate / name).is_file()
            and (settings := load_settings_file(candidate / name, _shown(candidate / name))) is not None
        ]
        if len(found) > 1:
            raise SettingsError(
                f"{_shown(candidate / YAML_NAME)}: settings are also in {_shown(candidate / PYPROJECT)} "
                f"[tool.{TABLE}]; keep one of the two"
            )
        if found:
            return found[0]
        if (candidate / ".git").exists():
            break
    return DEFAULT


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
