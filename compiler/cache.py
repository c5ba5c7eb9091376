"""A lint cache keyed by file content, file path, the repository's settings and a fingerprint of the tool (its
code and schema).

Unchanged files skip loading and checking entirely; cross-file rules still run, on cached facts.
Writes go to a temporary file and `os.replace` onto the cache, so readers never see half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from compiler.check.facts import ConnectorFacts, SecretFact
from compiler.check.result import CheckedFile
from compiler.check.suppressions import Suppression
from compiler.diagnostics import Diagnostic, Fix, FixKind, Severity
from compiler.load.positions import Span
from compiler.version import __version__

MAX_ENTRIES = 50_000


def cache_dir() -> Path:
    configured = os.environ.get("GEMINI_SYNC_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gemini-sync"


def _fingerprint() -> str:
    """Version plus the bytes of every module and schema that decides diagnostics."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    for folder in ("load", "check", "check/rules", "analysis", "schema"):
        for item in sorted((package / folder).iterdir()):
            if item.suffix in (".py", ".json"):
                digest.update(item.name.encode())
                digest.update(item.read_bytes())
    return digest.hexdigest()[:16]


def entry_key(path: str, sha256: str, check_file_name: bool, settings_key: str = "") -> str:
    return f"{sha256}:{int(check_file_name)}:{settings_key}:{path}"


def _to_json(report: CheckedFile) -> dict[str, Any]:
    return {
        "diagnostics": [asdict(d) for d in report.diagnostics],
        "facts": [asdict(f) for f in report.facts],
        "suppressions": [asdict(s) for s in report.suppressions],
    }


def _diagnostic(d: dict[str, Any]) -> Diagnostic:
    fix = d.get("fix")
    return Diagnostic(
        **{
            **d,
            "severity": Severity(d["severity"]),
            "fix": Fix(**{**fix, "kind": FixKind(fix["kind"])}) if fix else None,
        }
    )


def _from_json(path: str, sha256: str, entry: dict[str, Any]) -> CheckedFile:
    diagnostics = tuple(_diagnostic(d) for d in entry["diagnostics"])
    facts = tuple(
        ConnectorFacts(
            file=f["file"],
            document=f["document"],
            name=f["name"],
            name_span=Span(**f["name_span"]),
            secrets=tuple(SecretFact(**{**s, "span": Span(**s["span"])}) for s in f["secrets"]),
        )
        for f in entry["facts"]
    )
    suppressions = tuple(
        Suppression(Span(**s["span"]), s["target_line"], tuple(s["codes"])) for s in entry["suppressions"]
    )
    return CheckedFile(path, sha256, diagnostics, facts, (), suppressions)


class LintCache:
    """Load once, look up per file, save once. `settings_key` is the repository settings' fingerprint."""

    def __init__(self, directory: Path | None = None, settings_key: str = "") -> None:
        self.settings_key = settings_key
        self.file = (directory or cache_dir()) / f"lint-{_fingerprint()}.json"
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.dirty = False
        try:
            loaded = orjson.loads(self.file.read_bytes())
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, orjson.JSONDecodeError):
            pass  # no cache yet, or a damaged one: start empty

    def get(self, path: str, sha256: str, check_file_name: bool) -> CheckedFile | None:
        key = entry_key(path, sha256, check_file_name, self.settings_key)
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.used.add(key)
        try:
            return _from_json(path, sha256, entry)
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, report: CheckedFile, check_file_name: bool) -> None:
        key = entry_key(report.path, report.sha256, check_file_name, self.settings_key)
        self.entries[key] = _to_json(report)
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        if len(self.entries) > MAX_ENTRIES:
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".lint-", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(orjson.dumps(self.entries))
            os.replace(tmp, self.file)
        except OSError:
            pass  # a cache that cannot be written only costs speed
