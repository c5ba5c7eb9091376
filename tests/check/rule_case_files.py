"""Reading the YAML rule cases under tests/check/cases/ (one file per diagnostic code, sqlfluff style).

A case names files and the exact list of diagnostics expected from validating them together. A file is text, raw
bytes (`{hex: ...}` or `{base64: ...}`), or a base connector from _bases.yaml:
`{base: sql, replace: [[old, new], ...], append: "text", prefix_hex: "efbbbf"}` (each `old` must occur once);
`append` may itself be such a mapping, which adds a second document after a `---` line.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CASES_DIR = Path(__file__).parent / "cases"
BASES_FILE = CASES_DIR / "_bases.yaml"
EXPECT_KEYS = ("code", "file", "line", "column")
OPTIONAL_EXACT = ("pointer", "severity", "end_line", "end_column")
OPTIONAL_SUBSTRING = ("message", "suggestion")


class CaseError(Exception):
    """A case file that is itself wrong (a replace that matches nothing, an unknown base, ...)."""


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    files: dict[str, bytes]
    expect: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return f"{self.code}: {self.name}"


def load_bases() -> dict[str, str]:
    bases = yaml.safe_load(BASES_FILE.read_text(encoding="utf-8"))
    assert isinstance(bases, dict)
    return {str(k): str(v) for k, v in bases.items()}


def apply_replace(text: str, replacements: list[list[str]], where: str) -> str:
    """Replace each `old` by `new`; `old` must occur exactly once so a stale case fails loudly."""
    for pair in replacements:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise CaseError(f"{where}: each replace entry is [old, new], got {pair!r}")
        old, new = str(pair[0]), str(pair[1])
        count = text.count(old)
        if count != 1:
            raise CaseError(f"{where}: replace {old!r} matches {count} times (must match exactly once)")
        text = text.replace(old, new)
    return text


def file_bytes(spec: Any, bases: dict[str, str], where: str) -> bytes:
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if not isinstance(spec, dict):
        raise CaseError(f"{where}: a file is text or a mapping, got {type(spec).__name__}")
    if "hex" in spec:
        try:
            return binascii.unhexlify("".join(str(spec["hex"]).split()))
        except binascii.Error as exc:
            raise CaseError(f"{where}: bad hex: {exc}") from None
    if "base64" in spec:
        return base64.b64decode(str(spec["base64"]), validate=True)
    if "base" in spec:
        name = str(spec["base"])
        if name not in bases:
            raise CaseError(f"{where}: unknown base {name!r} (known: {', '.join(bases)})")
        text = apply_replace(bases[name], spec.get("replace", []), where)
        prefix = binascii.unhexlify(str(spec.get("prefix_hex", "")))
        append = spec.get("append", "")
        if isinstance(append, dict):  # another document: "---" and a base of its own
            append = "---\n" + file_bytes(append, bases, where).decode("utf-8")
        return prefix + (text + str(append)).encode("utf-8")
    raise CaseError(f"{where}: a file mapping needs one of base, hex, base64")


def case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("GS*.yaml"))


def load_case_file(path: Path, bases: dict[str, str]) -> tuple[str, list[Case]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "code" not in data or not isinstance(data.get("cases"), list):
        raise CaseError(f"{path.name}: needs 'code' and a list of 'cases'")
    code = str(data["code"])
    cases = []
    for index, raw in enumerate(data["cases"]):
        where = f"{path.name} case {index} ({raw.get('name', '?')})"
        if set(raw) - {"name", "files", "expect"} or not {"name", "files", "expect"} <= set(raw):
            raise CaseError(f"{where}: a case has exactly name, files and expect")
        files = {str(name): file_bytes(spec, bases, f"{where} file {name}") for name, spec in raw["files"].items()}
        expect = list(raw["expect"] or [])
        known = {*EXPECT_KEYS, *OPTIONAL_EXACT, *OPTIONAL_SUBSTRING}
        for entry in expect:
            if not set(EXPECT_KEYS) <= set(entry):
                raise CaseError(f"{where}: expect entries need {', '.join(EXPECT_KEYS)}: {entry!r}")
            if set(entry) - known:  # a misspelt key would otherwise check nothing
                raise CaseError(f"{where}: unknown expect keys {sorted(set(entry) - known)}")
        cases.append(Case(code, str(raw["name"]), files, expect))
    return code, cases


def all_cases() -> list[Case]:
    bases = load_bases()
    return [case for path in case_files() for case in load_case_file(path, bases)[1]]
