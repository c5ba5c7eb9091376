"""Under --strict every reporter shows the warnings that fail the run as failures; SARIF and GitHub name files
relative to the repository root (not the current directory); SARIF rules carry help and a link to their docs.

JUnit output is read with junitparser, the parser CI test tabs use, not with our own assumptions.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from junitparser import JUnitXml

from compiler.check.codes import CODES
from compiler.report import render
from compiler.validation import ValidationResult, validate_paths

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
HR = (CONNECTORS / "hr-employees.yaml").read_text(encoding="utf-8")
STAR = HR.replace(
    "SELECT employee_id, full_name, department, role, bio,\n      allowed_users, allowed_groups, updated_at", "SELECT *"
)


@pytest.fixture
def warning_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hr-employees.yaml").write_text(STAR, encoding="utf-8")
    return tmp_path


def _junit_failures(result: ValidationResult, tmp_path: Path) -> int:
    path = tmp_path / "junit.xml"
    path.write_text(render(result, "junit"), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    return sum(suite.failures for suite in xml)


def test_a_warning_passes_without_strict_in_every_format(warning_only: Path) -> None:
    result = validate_paths(["hr-employees.yaml"], strict=False)
    assert result.exit_code() == 0
    assert _junit_failures(result, warning_only) == 0
    sarif = json.loads(render(result, "sarif"))
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["warning"]
    assert render(result, "github").startswith("::warning ")
    assert "warning[GS109]" in render(result, "text")
    assert json.loads(render(result, "json"))["diagnostics"][0]["severity"] == "warning"


def test_a_strict_run_reports_its_failing_warnings_as_failures_in_every_format(warning_only: Path) -> None:
    result = validate_paths(["hr-employees.yaml"], strict=True)
    assert result.exit_code() == 1
    assert _junit_failures(result, warning_only) == 1
    sarif = json.loads(render(result, "sarif"))
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["error"]
    assert render(result, "github").startswith("::error ")
    text = render(result, "text")
    assert "error[GS109]" in text
    assert "(1 warning counted as error: strict)" in text
    report = json.loads(render(result, "json"))
    assert report["diagnostics"][0]["severity"] == "error"
    assert report["summary"]["strict"] is True


def test_strict_comes_from_the_settings_and_the_command_line_overrides_it(warning_only: Path) -> None:
    (warning_only / ".gemini-sync.yaml").write_text("strict: true\n", encoding="utf-8")
    assert validate_paths(["hr-employees.yaml"]).exit_code() == 1
    assert validate_paths(["hr-employees.yaml"], strict=False).exit_code() == 0


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with connectors/, the linter run from a subfolder, plus a file outside the repository."""
    root = tmp_path / "repo"
    (root / "connectors").mkdir(parents=True)
    (root / "tools").mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "connectors" / "hr-employees.yaml").write_text(STAR, encoding="utf-8")
    outside = tmp_path / "elsewhere" / "hr-employees.yaml"
    outside.parent.mkdir()
    outside.write_text(STAR.replace("name: hr-employees", "name: hr-elsewhere"), encoding="utf-8")
    monkeypatch.chdir(root / "tools")
    return root


def test_sarif_locations_are_relative_to_the_repository_root(repository: Path) -> None:
    outside = repository.parent / "elsewhere" / "hr-employees.yaml"
    result = validate_paths(["../connectors", str(outside)], check_file_name=False)
    assert [d.file for d in result.diagnostics] == ["../connectors/hr-employees.yaml", outside.as_posix()]
    run = json.loads(render(result, "sarif"))["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations[0] == {"uri": "connectors/hr-employees.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repository.resolve().as_uri() + "/"
    assert locations[1] == {"uri": outside.resolve().as_uri()}
    assert locations[1]["uri"].startswith("file:///")


def test_github_annotations_name_files_relative_to_the_repository_root(repository: Path) -> None:
    outside = repository.parent / "elsewhere" / "hr-employees.yaml"
    result = validate_paths(["../connectors", str(outside)], check_file_name=False)
    files = [line.split("file=", 1)[1].split(",", 1)[0] for line in render(result, "github").splitlines()[:2]]
    assert files == ["connectors/hr-employees.yaml", outside.resolve().as_posix()]


def test_sarif_rules_have_full_description_help_and_a_link_to_their_docs(warning_only: Path) -> None:
    rules = json.loads(render(validate_paths(["hr-employees.yaml"]), "sarif"))["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len(CODES)
    by_id = {rule["id"]: rule for rule in rules}
    for rule in rules:
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["help"]["markdown"]
        assert rule["helpUri"].startswith("https://")
        assert "/diagnostics/" in rule["helpUri"]
    star = by_id["GS109"]
    assert star["helpUri"].endswith("#gs109")
    assert "SELECT *" in star["help"]["markdown"]
    assert "docs/diagnostics.md#gs109" in star["help"]["text"]
    assert by_id["GS105"]["properties"] == {"protectsData": True, "silenceable": False}
