"""Reporters: text (with source line and caret), json (exact shape), github annotations, SARIF 2.1.0, JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from compiler.check.codes import BY_CODE, CODES
from compiler.diagnostics import Diagnostic, Severity
from compiler.report import REPORTERS, file_lines, render
from compiler.report import text as text_reporter
from compiler.validation import ValidationResult, validate_paths

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
GOOD = (CONNECTORS / "hr-employees.yaml").read_text(encoding="utf-8")
BAD = GOOD.replace("    query: >", "    quey: >").replace("location: global", "location: europe")
WARN = GOOD.replace("name: hr-employees", "name: hr-staff").replace(
    "SELECT employee_id, full_name, department, role, bio,\n      allowed_users, allowed_groups, updated_at", "SELECT *"
)


def _diagnostic(**overrides: object) -> Diagnostic:
    fields: dict[str, object] = {
        "file": "a.yaml",
        "line": 2,
        "column": 5,
        "end_line": 2,
        "end_column": 9,
        "pointer": "/spec/x",
        "severity": Severity.ERROR,
        "code": "GS050",
        "message": "unknown field 'quey'",
        "suggestion": "did you mean 'query'?",
    }
    fields.update(overrides)
    return Diagnostic(**fields)  # type: ignore[arg-type]


def _result(*diagnostics: Diagnostic) -> ValidationResult:
    return ValidationResult(files=(), diagnostics=diagnostics)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ValidationResult:
    """good/hr-employees.yaml (clean), bad/hr-employees.yaml (3 errors), warn/hr-staff.yaml (1 warning)."""
    monkeypatch.chdir(tmp_path)
    for folder, name, text in (
        ("good", "hr-employees", GOOD),
        ("bad", "hr-employees", BAD),
        ("warn", "hr-staff", WARN),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    result = validate_paths(["good", "bad", "warn"], use_cache=False)
    assert [(d.file, d.code) for d in result.diagnostics] == [
        ("bad/hr-employees.yaml", "GS051"),
        ("bad/hr-employees.yaml", "GS050"),
        ("bad/hr-employees.yaml", "GS053"),
        ("warn/hr-staff.yaml", "GS109"),
    ], "no GS102 for bad/: only schema-valid connectors take part in the cross-file rules"
    return result


# --- text -------------------------------------------------------------------------------------------------------


def test_text_header_snippet_caret_and_help(project: ValidationResult) -> None:
    out = render(project, "text")
    lines = out.splitlines()
    header = "bad/hr-employees.yaml:13:5: error[GS050] unknown field 'quey' in spec.source"
    i = lines.index(header)
    assert lines[i + 1] == " 13 |     quey: >"
    assert lines[i + 2] == "    |     ^^^^"
    assert lines[i + 3] == "   = help: did you mean 'query'?"
    assert "warn/hr-staff.yaml:13:12: warning[GS109] SELECT * hides the column list" in out
    assert lines[-1] == "3 files checked: 3 errors, 1 warning in 2 files"


def test_text_caret_sits_under_the_column() -> None:
    source = ["first", "  location: europe"]
    out = REPORTERS["text"](_result(_diagnostic(line=2, column=13, end_column=19)), lambda _p: source)
    _header, snippet, caret, *_ = out.splitlines()
    prefix = snippet.index("|") + 2
    assert snippet[prefix:] == "  location: europe"
    assert caret.index("^") - prefix == 12
    assert caret.count("^") == 6
    assert snippet[caret.index("^") : caret.rindex("^") + 1] == "europe"


def test_text_caret_with_a_tab_and_a_control_character_stays_aligned() -> None:
    source = ["\tk: \x1b[31mx"]
    out = REPORTERS["text"](_result(_diagnostic(line=1, column=10, end_line=1, end_column=11)), lambda _p: source)
    _header, snippet, caret, *_ = out.splitlines()
    assert "\x1b" not in out
    assert snippet[caret.index("^")] == "x"


def test_text_caret_counts_wide_characters_as_two_columns() -> None:
    source = ["name: 人事部, b: [1]"]
    out = REPORTERS["text"](_result(_diagnostic(line=1, column=7, end_line=1, end_column=10)), lambda _p: source)
    _header, _snippet, caret, *_ = out.splitlines()
    assert caret.endswith("|       ^^^^^^"), "6 spaces for 'name: ', then 2 carets per wide character"


def test_text_long_line_is_cut_around_the_column() -> None:
    source = ["x" * 500 + "BAD" + "y" * 500]
    out = REPORTERS["text"](_result(_diagnostic(line=1, column=501, end_line=1, end_column=504)), lambda _p: source)
    _header, snippet, caret, *_ = out.splitlines()
    assert len(snippet) < 200
    assert snippet[caret.index("^") : caret.rindex("^") + 1] == "BAD"


def test_text_cuts_before_it_sanitises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of findings on one long line (a flow list of 19,000 fields) must not process the whole line each
    time: that made one file take minutes to report."""
    seen: list[int] = []
    real = text_reporter._printable

    def spy(value: str) -> str:
        seen.append(len(value))
        return real(value)

    monkeypatch.setattr(text_reporter, "_printable", spy)
    source = ["x" * 100_000]
    found = [_diagnostic(line=1, column=c, end_line=1, end_column=c + 1) for c in range(1, 100_000, 1000)]
    REPORTERS["text"](_result(*found), lambda _p: source)
    assert len(seen) == len(found)
    assert max(seen) <= text_reporter.SNIPPET_WIDTH + 6


def test_text_without_source_or_suggestion() -> None:
    out = REPORTERS["text"](_result(_diagnostic(suggestion=None)), lambda _p: None)
    assert out.splitlines() == [
        "a.yaml:2:5: error[GS050] unknown field 'quey'",
        "0 files checked: 1 error, 0 warnings in 1 file",
    ]


def test_text_clean_run() -> None:
    assert (
        REPORTERS["text"](ValidationResult(files=(), diagnostics=()), lambda _p: None)
        == "0 files checked: no problems\n"
    )


def test_file_lines_split_like_yaml(tmp_path: Path) -> None:
    """A form feed is not a line break for YAML; splitting there would shift every later snippet."""
    target = tmp_path / "x.yaml"
    target.write_bytes(b"a: 1\r\n# \x0c page\rb: 2\n")
    assert file_lines(str(target)) == ["a: 1", "# \x0c page", "b: 2", ""]
    assert file_lines(str(tmp_path / "missing.yaml")) is None


# --- json -------------------------------------------------------------------------------------------------------


def test_json_shape_is_exact(project: ValidationResult) -> None:
    report = json.loads(render(project, "json"))
    assert set(report) == {"format_version", "diagnostics", "summary"}
    assert report["format_version"] == "1"
    assert report["summary"] == {
        "files": 3,
        "files_with_findings": 2,
        "errors": 3,
        "warnings": 1,
        "strict": False,
        "fixable": 1,
    }
    fields = [
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "pointer",
        "severity",
        "code",
        "message",
        "suggestion",
        "fix",
    ]
    for d in report["diagnostics"]:
        assert list(d) == fields
    unknown = report["diagnostics"][1]
    assert unknown == {
        "file": "bad/hr-employees.yaml",
        "line": 13,
        "column": 5,
        "end_line": 13,
        "end_column": 9,
        "pointer": "/spec/source/quey",
        "severity": "error",
        "code": "GS050",
        "message": "unknown field 'quey' in spec.source",
        "suggestion": "did you mean 'query'?",
        "fix": "rename 'quey' to 'query'",
    }
    assert report["diagnostics"][3]["severity"] == "warning"


def test_json_null_suggestion_and_unicode() -> None:
    report = json.loads(REPORTERS["json"](_result(_diagnostic(suggestion=None, message="naïve ✓")), lambda _p: None))
    assert report["diagnostics"][0]["suggestion"] is None
    assert report["diagnostics"][0]["message"] == "naïve ✓"


# --- github -----------------------------------------------------------------------------------------------------


def test_github_annotations(project: ValidationResult) -> None:
    lines = render(project, "github").splitlines()
    assert lines[1] == (
        "::error file=bad/hr-employees.yaml,line=13,col=5,endLine=13,endColumn=9,title=GS050"
        "::unknown field 'quey' in spec.source (did you mean 'query'?)"
    )
    assert lines[3].startswith("::warning file=warn/hr-staff.yaml,line=13,col=12,")
    assert lines[-1] == "3 files checked: 3 errors, 1 warning in 2 files"


def test_github_escapes_data_and_properties() -> None:
    d = _diagnostic(file="dir,x/a:b.yaml", message="100% sure\nsecond line", suggestion=None)
    (annotation, _summary) = REPORTERS["github"](_result(d), lambda _p: None).splitlines()
    assert annotation.startswith("::error file=dir%2Cx/a%3Ab.yaml,line=2,")
    assert annotation.endswith("::100%25 sure%0Asecond line")


# --- sarif ------------------------------------------------------------------------------------------------------


def test_sarif_structure(project: ValidationResult) -> None:
    """No SARIF JSON schema is available offline, so the required structure of 2.1.0 is asserted by hand."""
    log = json.loads(render(project, "sarif"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints", "columns count characters, not UTF-16 code units (the default)"
    driver = run["tool"]["driver"]
    assert driver["name"]
    assert isinstance(driver["version"], str)
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [c.code for c in CODES]
    for rule in rules:
        code = BY_CODE[rule["id"]]
        assert rule["name"] == code.name
        assert rule["shortDescription"]["text"] == code.summary
        assert rule["defaultConfiguration"]["level"] == str(code.severity)
    assert len(run["results"]) == len(project.diagnostics)
    for result, d in zip(run["results"], project.diagnostics, strict=True):
        assert result["ruleId"] == d.code
        assert rules[result["ruleIndex"]]["id"] == d.code
        assert result["level"] in ("error", "warning", "note")
        assert result["level"] == str(d.severity)
        assert result["message"]["text"].startswith(d.message)
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == d.file
        region = physical["region"]
        assert region["startLine"] == d.line
        assert region["startColumn"] == d.column
        assert region["endLine"] >= region["startLine"] >= 1
        assert region["endLine"] > region["startLine"] or region["endColumn"] > region["startColumn"]
        assert location["logicalLocations"][0]["fullyQualifiedName"] == (d.pointer or "/")


def test_sarif_artifact_location_is_a_uri() -> None:
    d = _diagnostic(file="team a/hr#1.yaml")
    log = json.loads(REPORTERS["sarif"](_result(d), lambda _p: None))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"] == "team%20a/hr%231.yaml"


def test_sarif_zero_width_range_is_widened() -> None:
    """SARIF regions may not be empty on one line; a null value (`key:`) has end == start."""
    d = _diagnostic(column=6, end_column=6)
    region = json.loads(REPORTERS["sarif"](_result(d), lambda _p: None))["runs"][0]["results"][0]["locations"][0]
    assert region["physicalLocation"]["region"]["endColumn"] == 7


# --- junit ------------------------------------------------------------------------------------------------------


def test_junit_one_testcase_per_file(project: ValidationResult) -> None:
    out = render(project, "junit")
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "1"
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"good/hr-employees.yaml", "bad/hr-employees.yaml", "warn/hr-staff.yaml"}
    assert cases["good/hr-employees.yaml"].find("failure") is None
    failure = cases["bad/hr-employees.yaml"].find("failure")
    assert failure is not None
    assert failure.text is not None
    assert failure.text.count("\n") == 2
    assert "bad/hr-employees.yaml:13:5: error[GS050]" in failure.text
    # A warning alone does not fail the file, but it is shown.
    assert cases["warn/hr-staff.yaml"].find("failure") is None
    system_out = cases["warn/hr-staff.yaml"].find("system-out")
    assert system_out is not None
    assert "GS109" in (system_out.text or "")


def test_junit_escapes_xml() -> None:
    out = REPORTERS["junit"](_result(_diagnostic(message='a <b> & "c"')), lambda _p: None)
    root = ET.fromstring(out.split("\n", 1)[1])
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert 'a <b> & "c"' in (failure.get("message") or "")


def test_every_format_renders_an_empty_result() -> None:
    for name, reporter in REPORTERS.items():
        assert reporter(ValidationResult(files=(), diagnostics=()), lambda _p: None), name
