"""Per-repository settings ([tool.gemini-sync] in pyproject.toml, or .gemini-sync.yaml): exclusions, severities,
strictness, their errors, and the lint cache keyed by them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compiler.check.settings import find_settings
from compiler.cli import main

REPO = Path(__file__).resolve().parents[2]
HR = (REPO / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8")
STAR = HR.replace(
    "SELECT employee_id, full_name, department, role, bio,\n      allowed_users, allowed_groups, updated_at", "SELECT *"
)
KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [hr-employees.yaml]\n"


@pytest.fixture(autouse=True)
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GEMINI_SYNC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    root = tmp_path / "repo"
    (root / "connectors").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_exclude_leaves_out_files_found_in_folders(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "connectors/hr-employees.yaml").write_text(HR)
    (repo / "connectors/kustomization.yaml").write_text(KUSTOMIZATION)
    (repo / "connectors/base").mkdir()
    (repo / "connectors/base/broken.yaml").write_text("x: [\n")
    code, out, _ = run(capsys)
    assert code == 1
    assert "connectors/kustomization.yaml" in out
    (repo / ".gemini-sync.yaml").write_text("exclude: [kustomization.yaml, connectors/base/]\n")
    code, out, _ = run(capsys)
    assert (code, out) == (0, "1 file checked: no problems\n")
    # A file named on the command line is always checked.
    code, out, _ = run(capsys, "connectors/kustomization.yaml")
    assert code == 1


def test_severities_from_pyproject_raise_lower_and_turn_off(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "connectors/hr-employees.yaml").write_text(STAR.replace("name: hr-employees", "name: hr-staff"))
    code, out, _ = run(capsys)
    assert code == 1
    assert "error[GS101]" in out
    assert "warning[GS109]" in out
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.gemini-sync.severity]\nGS101 = "off"\nGS109 = "error"\n'
    )
    code, out, _ = run(capsys)
    assert code == 1
    assert "GS101" not in out
    assert "error[GS109]" in out
    (repo / "pyproject.toml").write_text('[tool.gemini-sync]\nseverity = { GS101 = "warning", GS109 = "off" }\n')
    code, out, _ = run(capsys)
    assert code == 0
    assert "warning[GS101]" in out
    assert "GS109" not in out
    assert run(capsys, "--strict")[0] == 1


def test_settings_apply_on_a_warm_cache(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "connectors/hr-employees.yaml").write_text(STAR)
    assert run(capsys)[0] == 0
    (repo / ".gemini-sync.yaml").write_text("strict: true\n")
    assert run(capsys)[0] == 1
    (repo / ".gemini-sync.yaml").write_text("severity: {GS109: off}\nstrict: true\n")
    code, out, _ = run(capsys)
    assert (code, out) == (0, "1 file checked: no problems\n")
    first = find_settings().fingerprint()
    (repo / ".gemini-sync.yaml").write_text("severity: {GS109: error}\n")
    assert find_settings().fingerprint() != first


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stirct: true\n", ".gemini-sync.yaml:1: unknown setting 'stirct'; did you mean 'strict'?"),
        ("strict: maybe\n", ".gemini-sync.yaml:1: strict must be true or false, not 'maybe'"),
        ("exclude: connectors/x.yaml\n", ".gemini-sync.yaml:1: exclude must be a list of paths or glob patterns"),
        ("severity: {GS999: off}\n", ".gemini-sync.yaml:1: severity: 'GS999' is not a diagnostic code"),
        ("severity:\n  GS109: loud\n", ".gemini-sync.yaml:2: severity of GS109 must be one of error, warning, off"),
        (
            "severity:\n  GS105: warning\n",
            ".gemini-sync.yaml:2: GS105 protects data: its severity can be raised but not lowered or turned off",
        ),
        ("severity: {GS050: off}\n", ".gemini-sync.yaml:1: GS050 is a reading or schema error: its severity can be"),
        ("strict: [\n", ".gemini-sync.yaml:2:1: not valid YAML"),
    ],
)
def test_bad_settings_are_a_usage_error_naming_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    (repo / "connectors/hr-employees.yaml").write_text(HR)
    (repo / ".gemini-sync.yaml").write_text(text)
    code, out, err = run(capsys)
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {message}"), err


def test_settings_in_two_places_are_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "connectors/hr-employees.yaml").write_text(HR)
    (repo / ".gemini-sync.yaml").write_text("strict: true\n")
    (repo / "pyproject.toml").write_text("[tool.gemini-sync]\nstrict = false\n")
    code, _, err = run(capsys)
    assert code == 2
    assert "keep one of the two" in err


def test_settings_are_found_from_a_subfolder_but_not_above_the_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".gemini-sync.yaml").write_text("strict: true\n")
    monkeypatch.chdir(repo / "connectors")
    assert find_settings().strict is True
    (repo.parent / ".gemini-sync.yaml").write_text("strict: true\n")
    (repo / ".gemini-sync.yaml").unlink()
    assert find_settings().strict is False  # the repository's root bounds the search
