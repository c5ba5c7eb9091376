"""The one parametrised runner for tests/check/cases/<CODE>.yaml: exact (code, file, line, column) lists.

Optional keys in an `expect` entry are checked too: `pointer` and `severity` exactly, `message` and `suggestion`
as substrings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rule_case_files import (
    CASES_DIR,
    EXPECT_KEYS,
    OPTIONAL_EXACT,
    OPTIONAL_SUBSTRING,
    Case,
    CaseError,
    all_cases,
    case_files,
    file_bytes,
    load_bases,
    load_case_file,
)

from compiler.check.codes import CODES
from compiler.diagnostics import Diagnostic
from compiler.validation import validate_paths

CASES = all_cases()


def _key(d: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(d[k] for k in EXPECT_KEYS)


def _as_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "end_line": d.end_line,
        "end_column": d.end_column,
        "pointer": d.pointer,
        "severity": str(d.severity),
        "message": d.message,
        "suggestion": d.suggestion,
    }


def _show(d: dict[str, Any]) -> str:
    return f"{d['file']}:{d['line']}:{d['column']} {d['code']} {d.get('message', '')!s}"


def _mismatch(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    """A keyed diff: what is missing, what is unexpected, and what differs in the optional keys."""
    problems: list[str] = []
    got_keys = [_key(d) for d in got]
    expected_keys = [_key(d) for d in expected]
    for entry in expected:
        if _key(entry) not in got_keys:
            problems.append(f"  missing:    {_show(entry)}")
    for entry in got:
        if _key(entry) not in expected_keys:
            problems.append(f"  unexpected: {_show(entry)} (pointer {entry['pointer']!r})")
    if not problems and got_keys != expected_keys:
        problems.append(f"  order differs:\n    expected {expected_keys}\n    got      {got_keys}")
    for entry in expected:
        match = next((d for d in got if _key(d) == _key(entry)), None)
        if match is None:
            continue
        for key in OPTIONAL_EXACT:
            if key in entry and entry[key] != match[key]:
                problems.append(f"  {_show(entry)}: {key} is {match[key]!r}, expected {entry[key]!r}")
        for key in OPTIONAL_SUBSTRING:
            if key in entry and str(entry[key]) not in str(match[key]):
                problems.append(f"  {_show(entry)}: {key} {match[key]!r} does not contain {entry[key]!r}")
    return problems


def run_case(case: Case, root: Path) -> list[dict[str, Any]]:
    for name, content in case.files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    result = validate_paths([str(root)], use_cache=False)
    return [_as_dict(d) for d in result.diagnostics]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # diagnostics then name files relative to the case folder
    got = run_case(case, tmp_path)
    problems = _mismatch(case.expect, got)
    if problems:
        pytest.fail(f"{case.id}\n" + "\n".join(problems), pytrace=False)


def test_every_code_has_a_case_file_with_a_failing_and_a_passing_case() -> None:
    bases = load_bases()
    by_code = {}
    for path in case_files():
        code, cases = load_case_file(path, bases)
        assert path.stem == code, f"{path.name} declares code {code}"
        by_code[code] = cases
    missing = [c.code for c in CODES if c.code not in by_code]
    assert not missing, f"no case file under {CASES_DIR} for: {', '.join(missing)}"
    unknown = sorted(set(by_code) - {c.code for c in CODES})
    assert not unknown, f"case files for codes that do not exist: {unknown}"
    for code, cases in by_code.items():
        failing = [c for c in cases if any(e["code"] == code for e in c.expect)]
        passing = [c for c in cases if all(e["code"] != code for e in c.expect)]
        assert failing, f"{code}.yaml has no case whose expect contains {code}"
        assert passing, f"{code}.yaml has no passing neighbour (a case that does not expect {code})"


def test_case_names_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_mismatch_reports_missing_unexpected_and_wrong_details() -> None:
    """The runner's diff itself must catch each kind of difference (else every case would pass vacuously)."""
    got = [{"code": "GS101", "file": "a.yaml", "line": 4, "column": 9, "pointer": "/metadata/name", "message": "m"}]
    assert _mismatch([{"code": "GS101", "file": "a.yaml", "line": 4, "column": 9}], got) == []
    assert _mismatch([{"code": "GS101", "file": "a.yaml", "line": 4, "column": 8}], got)
    assert _mismatch([], got)
    assert _mismatch([{"code": "GS101", "file": "a.yaml", "line": 4, "column": 9, "pointer": "/x"}], got)
    assert _mismatch([{"code": "GS101", "file": "a.yaml", "line": 4, "column": 9, "message": "zz"}], got)


def test_case_files_fail_loudly_when_stale() -> None:
    """A replace that no longer matches, an unknown base or a misspelt expect key is an error, not a silent pass."""
    bases = {"b": "name: hr\nname2: hr\n"}
    with pytest.raises(CaseError, match="matches 0 times"):
        file_bytes({"base": "b", "replace": [["nope", "x"]]}, bases, "t")
    with pytest.raises(CaseError, match="matches 2 times"):
        file_bytes({"base": "b", "replace": [[": hr", ": x"]]}, bases, "t")
    with pytest.raises(CaseError, match="unknown base"):
        file_bytes({"base": "zz"}, bases, "t")
    assert file_bytes({"hex": "ff 00"}, bases, "t") == b"\xff\x00"
    assert file_bytes({"base64": "aGk="}, bases, "t") == b"hi"
    assert file_bytes({"base": "b", "append": {"base": "b"}, "prefix_hex": "efbbbf"}, bases, "t") == (
        b"\xef\xbb\xbfname: hr\nname2: hr\n---\nname: hr\nname2: hr\n"
    )
