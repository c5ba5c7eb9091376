"""Harness case files (`tests/connectors/<connector>/<case>.yaml`): the linter checks them against the packaged case
schema with positions, never as connectors, and agrees with check-jsonschema (the tool editors' users reach for)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compiler.check.case import case_schema, is_case_path
from compiler.check.codes import lookup
from compiler.validation import validate_paths

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "compiler/schema/connector-case.schema.json"
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
CASE_DIR = "tests/connectors/hr-employees"

VALID = """\
# yaml-language-server: $schema=../../../compiler/schema/connector-case.schema.json
connector: hr-employees
description: create, update and delete under auto_delete_missing
secrets:
  hr-db-credentials: postgresql://harness@localhost/hr
tables:
  employees:
    employee_id: INTEGER
    updated_at: TIMESTAMP
runs:
  - name: first sync
    given:
      tables:
        employees:
          - {employee_id: 1, full_name: Ada}
        departments: {file: departments.csv}
    expect:
      upserted:
        - id: "1"
          title: Ada
          content: "..."
          uri: https://hr.example.com/employees/1
          mimeType: text/plain
          aclUsers: [ada@example.com]
          aclGroups: []
          metadata: {department: eng}
      deleted: ["3"]
      softDeleted: ["4"]
      watermark: "2024-05-01 10:00:00"
      fields: subset
  - name: the source fails half way
    given:
      records: [{id: 1}]
      fail: connection reset
    expect:
      failure: connection reset
  - given:
      pages:
        - request: {method: GET, path: /api/articles, query: {cursor: abc, tag: [a, b]}}
          response: {status: 200, headers: {X-Next: "2"}, body: {items: []}}
    expect: {upserted: [], watermark: null}
  - given:
      pushes:
        - events: [{id: 1}]
        - {body: [1, 2], expectStatus: 400}
    expect: {deleted: []}
  - given:
      files: {a/b.csv: "id\\n1\\n", c.parquet: {file: c.parquet}}
    expect: {watermark: 3}
"""

# (name, old, new, [(code, line, column, message substring)]): each edit of VALID is one kind of bad case.
BAD: list[tuple[str, str, str, list[tuple[str, int, int, str]]]] = [
    ("missing-connector", "connector: hr-employees\n", "", [("GS051", 2, 1, "missing required field 'connector'")]),
    ("unknown-top-key", "description:", "descripton:", [("GS050", 3, 1, "unknown field 'descripton'")]),
    (
        "unknown-nested-key",
        "          mimeType: text/plain",
        "          mimetype: text/plain",
        [("GS050", 23, 11, "unknown field 'mimetype' in runs.0.expect.upserted.0")],
    ),
    (
        "failure-with-upserted",
        "      failure: connection reset",
        "      failure: connection reset\n      upserted: []",
        [("GS058", 37, 7, "runs.1.expect.upserted cannot be combined with 'failure'")],
    ),
    (
        "wrong-type-connector",
        "connector: hr-employees",
        "connector: [hr-employees]",
        [("GS052", 2, 12, "connector must be a string, not a list")],
    ),
    (
        "wrong-type-secret",
        "hr-db-credentials: postgresql://harness@localhost/hr",
        "hr-db-credentials: 5432",
        [("GS052", 5, 22, "secrets.hr-db-credentials must be a string")],
    ),
    (
        "wrong-type-rows",
        "        departments: {file: departments.csv}",
        "        departments: departments.csv",
        [("GS052", 16, 22, "a list of rows (mappings) or {file: path}")],
    ),
    ("wrong-status-type", "status: 200", "status: ok", [("GS052", 40, 30, "response.status must be an integer")]),
    ("bad-fields", "fields: subset", "fields: some", [("GS053", 30, 15, "must be one of exact, subset")]),
    ("document-without-id", '        - id: "1"\n          title', "        - title", [("GS051", 19, 11, "'id'")]),
    ("no-runs", "runs:\n", "runz:\n", [("GS051", 2, 1, "'runs'"), ("GS050", 10, 1, "unknown field 'runz'")]),
    ("empty-expect", "    expect: {deleted: []}", "    expect: {}", [("GS055", 46, 13, "runs.3.expect is empty")]),
    (
        "two-given-kinds",
        "      records: [{id: 1}]",
        "      records: [{id: 1}]\n      files: {}",
        [("GS058", 34, 7, "runs.1.given.files cannot be combined with 'records'")],
    ),
    (
        "push-without-events-or-body",
        "        - events: [{id: 1}]",
        "        - {}",
        [("GS051", 44, 11, "needs 'events' or 'body'")],
    ),
    (
        "second-document",
        "    expect: {watermark: 3}\n",
        "    expect: {watermark: 3}\n---\nconnector: x\n",
        [("GS058", 50, 1, "a case file holds one case")],
    ),
]

# check-jsonschema cannot read a file of two YAML documents at all; that is a parse error on its side.
AGREEMENT_CASES = [("valid", "", "")] + [(name, old, new) for name, old, new, _ in BAD]


def _edit(old: str, new: str) -> str:
    if not old:
        return VALID
    assert VALID.count(old) == 1, f"{old!r} must occur once"
    return VALID.replace(old, new)


def _write(root: Path, name: str, text: str) -> Path:
    path = root / CASE_DIR / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _diagnostics(root: Path, path: Path) -> list[tuple[str, int, int, str]]:
    result = validate_paths([str(path.relative_to(root))])
    return [(d.code, d.line, d.column, d.message) for d in result.diagnostics]


def test_the_valid_case_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, "valid", VALID)
    assert _diagnostics(tmp_path, path) == []


@pytest.mark.parametrize(("name", "old", "new", "expected"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_case_is_reported_with_its_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, old: str, new: str, expected: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, name, _edit(old, new))
    got = _diagnostics(tmp_path, path)
    assert [g[:3] for g in got] == [e[:3] for e in expected], got
    for (*_, message), (*_, want) in zip(got, expected, strict=True):
        assert want in message


def test_a_case_file_is_never_linted_as_a_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same text outside tests/connectors/ is a (bad) connector; inside, a valid case: the path decides."""
    monkeypatch.chdir(tmp_path)
    inside = _write(tmp_path, "valid", VALID)
    outside = tmp_path / "connectors" / "valid.yaml"
    outside.parent.mkdir()
    outside.write_text(VALID, encoding="utf-8")
    result = validate_paths(["."])
    assert {d.file for d in result.diagnostics} == {"connectors/valid.yaml"}
    assert "apiVersion" in " ".join(d.message for d in result.diagnostics)
    assert inside.is_file()


def test_the_validate_command_reports_case_files_by_default_with_file_line_column(tmp_path: Path) -> None:
    _write(tmp_path, "bad", _edit("description:", "descripton:"))
    (tmp_path / "connectors").mkdir()
    shutil.copy(ROOT / "connectors/hr-employees.yaml", tmp_path / "connectors/hr-employees.yaml")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/validate_connectors.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "GEMINI_SYNC_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{CASE_DIR}/bad.yaml:3:1: error[GS050] unknown field 'descripton' in the top level" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/connectors/hr-employees/first.yaml", True),
        ("/repo/tests/connectors/hr/nested/case.yml", True),
        ("tests/connectors/loose.yaml", False),
        ("connectors/hr-employees.yaml", False),
        ("tests/check/cases/GS050.yaml", False),
    ],
)
def test_case_paths(path: str, expected: bool) -> None:
    assert is_case_path(path) is expected


def test_the_case_schema_ships_in_the_package_and_is_a_valid_schema() -> None:
    packaged = resources.files("compiler.schema").joinpath("connector-case.schema.json").read_text(encoding="utf-8")
    assert json.loads(packaged) == case_schema() == json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(case_schema())
    jsonschema.Draft7Validator.check_schema(case_schema())


# What the YAML language server implements fully (draft-07): the case schema sticks to it, as the connector's does.
DRAFT7_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "minItems", "minProperties", "anyOf", "default", "examples", "allOf", "if", "then",
}  # fmt: skip


def _keywords(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("x-"):
                out.add(key)
            if key in {"properties", "$defs"}:
                for child in value.values():
                    _keywords(child, out)
            elif key not in {"examples", "default", "enum", "const", "required"}:
                _keywords(value, out)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, out)
    return out


def test_the_case_schema_uses_only_draft7_keywords_and_describes_every_field() -> None:
    assert _keywords(case_schema(), set()) - DRAFT7_KEYWORDS == set()

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        if node.get("additionalProperties") is False:
            assert "properties" in node, where
        for name, child in node.get("properties", {}).items():
            if isinstance(child, dict) and "$ref" not in child:
                assert child.get("description"), f"{where}/{name} has no description (editors show it)"
            walk(child, f"{where}/{name}")
        for key in ("items", "additionalProperties", "then", "if"):
            walk(node.get(key), f"{where}/{key}")
        for key in ("$defs",):
            for name, child in node.get(key, {}).items():
                assert child.get("description"), f"$defs/{name} has no description"
                walk(child, f"$defs/{name}")

    walk(case_schema(), "")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bool, set[str]]]:
    """case -> (check-jsonschema rejects it, the codes of the errors we report)."""
    assert CHECK_JSONSCHEMA, "check-jsonschema is not installed (it is in the dev extra)"
    root = tmp_path_factory.mktemp("case-agreement")
    files = {name: _write(root, name, _edit(old, new)) for name, old, new in AGREEMENT_CASES}
    done = subprocess.run(
        [CHECK_JSONSCHEMA, "--schemafile", str(SCHEMA), "--output-format", "json", *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    report = json.loads(done.stdout)
    rejected = {e["filename"] for e in [*report.get("errors", []), *report.get("parse_errors", [])]}
    ours = {
        name: {d.code for d in validate_paths([str(path)]).diagnostics if d.severity == "error"}
        for name, path in files.items()
    }
    return {name: (str(path) in rejected, ours[name]) for name, path in files.items()}


@pytest.mark.parametrize("name", [name for name, *_ in AGREEMENT_CASES])
def test_we_agree_with_check_jsonschema_on_case_files(verdicts: dict[str, tuple[bool, set[str]]], name: str) -> None:
    theirs_reject, our_codes = verdicts[name]
    assert theirs_reject == bool(our_codes), f"{name}: check-jsonschema rejects: {theirs_reject}; we: {our_codes}"
    assert all(lookup(code).structural for code in our_codes), our_codes


def test_the_corpus_has_both_verdicts(verdicts: dict[str, tuple[bool, set[str]]]) -> None:
    assert verdicts["valid"] == (False, set())
    assert sum(reject for reject, _ in verdicts.values()) == len(BAD)
