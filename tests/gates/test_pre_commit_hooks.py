"""The published pre-commit hooks, run by the real `pre-commit try-repo` against a scratch connector repository.

The hooks are `language: system`, so pre-commit installs nothing and needs no network: it runs the `compiler`
console script of this environment (the venv's bin directory is put first on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gate_helpers import ROOT

BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(tmp_path),
    )
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def _hook_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A committed git repository holding this tree's `.pre-commit-hooks.yaml` (what a user's `repo:` points at)."""
    hooks = tmp_path / "hooks-repo"
    hooks.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks / ".pre-commit-hooks.yaml")
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", ".")
    _git(hooks, env, "commit", "-q", "-m", "hooks")
    return hooks


def _try_repo(hooks: Path, work: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT, "pre-commit is not installed in this environment"
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(hooks), "validate-connectors", "--files", *files],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_hook_fails_on_a_broken_connector_and_passes_once_fixed(tmp_path: Path) -> None:
    env = _env(tmp_path)
    hooks = _hook_repo(tmp_path, env)
    work = tmp_path / "connector-repo"
    (work / "connectors").mkdir(parents=True)
    good = (ROOT / "connectors/kb-rest.yaml").read_text(encoding="utf-8")
    target = work / "connectors/kb-rest.yaml"
    # Broken: an incremental pull (watermarkParam) with auto_delete_missing would delete live documents.
    target.write_text(good.replace("deletePolicy: soft_delete_only", "deletePolicy: auto_delete_missing"))
    _git(work, env, "init", "-q")
    _git(work, env, "add", ".")
    _git(work, env, "commit", "-q", "-m", "broken connector")

    broken = _try_repo(hooks, work, env, "connectors/kb-rest.yaml")
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert "validate connectors" in output
    assert "Failed" in output
    assert "connectors/kb-rest.yaml:" in output
    assert "error[GS105]" in output

    target.write_text(good)
    _git(work, env, "commit", "-q", "-am", "fix connector")
    fixed = _try_repo(hooks, work, env, "connectors/kb-rest.yaml")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def test_hook_ignores_files_outside_connectors(tmp_path: Path) -> None:
    env = _env(tmp_path)
    hooks = _hook_repo(tmp_path, env)
    work = tmp_path / "connector-repo"
    work.mkdir()
    (work / "notes.yaml").write_text("not: [a connector\n")
    _git(work, env, "init", "-q")
    _git(work, env, "add", ".")
    _git(work, env, "commit", "-q", "-m", "unrelated yaml")
    result = _try_repo(hooks, work, env, "notes.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout


@pytest.mark.parametrize("manifest", [".pre-commit-hooks.yaml", ".pre-commit-config.yaml"])
def test_hook_files_are_valid_for_pre_commit(tmp_path: Path, manifest: str) -> None:
    command = "validate-manifest" if manifest == ".pre-commit-hooks.yaml" else "validate-config"
    assert PRE_COMMIT
    result = subprocess.run(
        [PRE_COMMIT, command, str(ROOT / manifest)], env=_env(tmp_path), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hooks_cover_the_gates_and_run_offline() -> None:
    published = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(published) == {
        "validate-connectors",
        "check-connector-reference-drift",
        "check-docs-drift",
        "check-tdd-guardrails",
    }
    assert all(h["language"] == "system" for h in published.values())
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = {h["entry"] for repo in config["repos"] for h in repo["hooks"]}
    for script in (
        "validate_connectors",
        "check_tdd_guardrails",
        "check_docs_drift",
        "check_connector_reference_drift",
    ):
        assert f"python scripts/{script}.py" in entries
        assert (ROOT / "scripts" / f"{script}.py").is_file()
