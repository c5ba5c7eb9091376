"""The published pre-commit hooks, run by the real pre-commit client in a fresh connector repository.

The hooks are `language: python`: pre-commit clones the hook repository at the pinned commit and builds the hook's
environment from it (`pip install .`, the base install). Nothing of this checkout's environment is on PATH, so the
test fails if the hook depended on anything installed beforehand, and the environment pre-commit built is
inspected to show that the base install holds none of the runtime's libraries.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gate_helpers import ROOT

BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")
PACKAGE_FILES = ("compiler", "runtime", "scripts", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
"""What `pip install .` and the hooks read from the hook repository."""
SYSTEM_PATH = os.pathsep.join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if Path(p).is_dir())


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "VIRTUAL_ENV", "PYTHON"))}
    env.update(
        PATH=SYSTEM_PATH,  # not this checkout's venv: the hook must bring its own `compiler`
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GEMINI_SYNC_CACHE_DIR=str(tmp_path / "lint-cache"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(tmp_path),
    )
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _hook_repo(tmp_path: Path, env: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding this working tree's package, committed: what a user's `repo:` points at."""
    hooks = tmp_path / "gemini-sync"
    hooks.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".mypy_cache")
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, hooks / name, ignore=ignore)
        else:
            shutil.copy(source, hooks / name)
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", ".")
    _git(hooks, env, "commit", "-q", "-m", "gemini-sync")
    return hooks, _git(hooks, env, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """One hook repository and one PRE_COMMIT_HOME for the module: pre-commit builds the hook environment once."""
    base = tmp_path_factory.mktemp("pre-commit")
    env = _env(base)
    hooks, commit = _hook_repo(base, env)
    return hooks, commit, env


def _pre_commit(work: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert PRE_COMMIT, "pre-commit is not installed in this environment"
    return subprocess.run(
        [PRE_COMMIT, *args], cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_hook_installs_itself_in_a_fresh_repository_and_gates_connectors(
    tmp_path: Path, hook_repo: tuple[Path, str, dict[str, str]]
) -> None:
    hooks, commit, env = hook_repo
    work = tmp_path / "connector-repo"
    (work / "connectors").mkdir(parents=True)
    good = (ROOT / "connectors/kb-rest.yaml").read_text(encoding="utf-8")
    target = work / "connectors/kb-rest.yaml"
    # Broken: an incremental pull (watermarkParam) with auto_delete_missing would delete live documents.
    target.write_text(good.replace("deletePolicy: soft_delete_only", "deletePolicy: auto_delete_missing"))
    # Not a connector, left out through the settings (pre-commit's own `exclude:` cannot reach a folder scan).
    (work / "connectors/kustomization.yaml").write_text("resources: [kb-rest.yaml]\n")
    (work / ".gemini-sync.yaml").write_text("exclude: [connectors/kustomization.yaml]\n")
    config = {"repos": [{"repo": hooks.as_uri(), "rev": commit, "hooks": [{"id": "validate-connectors"}]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(work, env, "init", "-q")
    _git(work, env, "add", ".")
    _git(work, env, "commit", "-q", "-m", "broken connector")

    broken = _pre_commit(work, env, "run", "--all-files")
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert "validate connectors" in output
    assert "Failed" in output
    assert "connectors/kb-rest.yaml:" in output
    assert "error[GS105]" in output
    assert "kustomization" not in output

    target.write_text(good)
    _git(work, env, "commit", "-q", "-am", "fix connector")
    fixed = _pre_commit(work, env, "run", "--all-files")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout

    # The environment pre-commit built is the base install: the linter, without the runtime's libraries.
    (python,) = Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/bin/python")
    probe = (
        "import importlib.util as u, importlib.metadata as m; import compiler.fix, regress, ruamel.yaml; "
        "print(m.metadata('gemini-sync')['License-Expression']); "
        "print(sorted(n for n in ('duckdb', 'pyarrow', 'sqlalchemy', 'psycopg', 'pymysql', 'pyodbc', 'oracledb', "
        "'httpx') if u.find_spec(n)))"
    )
    installed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False, env=env)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.split() == ["Apache-2.0", "[]"]

    # The docs tell users to pin a commit this way: it must rewrite `rev:` to the hook repository's newest commit.
    config["repos"][0]["rev"] = "v0.0.0-placeholder"
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    updated = _pre_commit(work, env, "autoupdate", "--bleeding-edge", "--freeze")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert f"rev: {commit}" in (work / ".pre-commit-config.yaml").read_text()


@pytest.mark.slow
def test_hook_ignores_files_outside_connectors(tmp_path: Path, hook_repo: tuple[Path, str, dict[str, str]]) -> None:
    hooks, commit, env = hook_repo
    work = tmp_path / "connector-repo"
    work.mkdir()
    (work / "notes.yaml").write_text("not: [a connector\n")
    config = {"repos": [{"repo": hooks.as_uri(), "rev": commit, "hooks": [{"id": "validate-connectors"}]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(work, env, "init", "-q")
    _git(work, env, "add", ".")
    _git(work, env, "commit", "-q", "-m", "unrelated yaml")
    result = _pre_commit(work, env, "run", "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout


CASES = ROOT / "tests" / "connectors" / "hr-employees"


@pytest.mark.slow
def test_runtime_test_hook_runs_the_cases_of_a_fresh_connector_repository(
    tmp_path: Path, hook_repo: tuple[Path, str, dict[str, str]]
) -> None:
    """`runtime-test` installs the runtime extra itself, passes on good cases and fails on a wrong expectation."""
    hooks, commit, shared = hook_repo
    # Its own PRE_COMMIT_HOME: the hook's environment (with the runtime extra) is not the base one inspected above.
    env = {**shared, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    work = tmp_path / "connector-repo"
    (work / "connectors").mkdir(parents=True)
    shutil.copy(ROOT / "connectors/hr-employees.yaml", work / "connectors/hr-employees.yaml")
    shutil.copytree(CASES, work / "tests/connectors/hr-employees")
    config = {"repos": [{"repo": hooks.as_uri(), "rev": commit, "hooks": [{"id": "runtime-test"}]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(work, env, "init", "-q")
    _git(work, env, "add", ".")
    _git(work, env, "commit", "-q", "-m", "a connector and its cases")

    passed = _pre_commit(work, env, "run", "--all-files")
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, output
    assert "connector cases" in output
    assert "Passed" in output

    # A wrong expectation: the hook fails and shows the keyed diff (run, document and field, expected and actual).
    case = work / "tests/connectors/hr-employees/sync.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("title: Grace Hopper", "title: Grace Murray Hopper"))
    _git(work, env, "commit", "-q", "-am", "wrong expectation")
    failed = _pre_commit(work, env, "run", "--all-files")
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "Failed" in output
    assert "FAIL hr-employees/sync" in output
    assert "document 2: title" in output
    assert 'expected: "Grace Murray Hopper"' in output
    assert 'actual:   "Grace Hopper"' in output
    assert "PASS hr-employees/failed-extraction" in output  # every case runs, not only the changed file

    # A change outside connectors/ and tests/connectors/ does not run it.
    (work / "notes.md").write_text("unrelated\n")
    _git(work, env, "add", "notes.md")
    skipped = _pre_commit(work, env, "run", "--files", "notes.md")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in skipped.stdout

    # Its environment has the runtime extra (the engine) and no database driver: the case serves the tables.
    (python,) = Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/bin/python")
    probe = "import importlib.util as u; print(sorted(n for n in ('duckdb', 'pyarrow', 'psycopg') if u.find_spec(n)))"
    installed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False, env=env)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.split() == ["['duckdb',", "'pyarrow']"]


@pytest.mark.parametrize("manifest", [".pre-commit-hooks.yaml", ".pre-commit-config.yaml"])
def test_hook_files_are_valid_for_pre_commit(tmp_path: Path, manifest: str) -> None:
    command = "validate-manifest" if manifest == ".pre-commit-hooks.yaml" else "validate-config"
    assert PRE_COMMIT
    result = subprocess.run(
        [PRE_COMMIT, command, str(ROOT / manifest)], env=_env(tmp_path), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_published_hooks_install_themselves_and_cover_the_gates() -> None:
    published = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(published) == {
        "validate-connectors",
        "check-connector-reference-drift",
        "check-docs-drift",
        "check-tdd-guardrails",
        "runtime-test",
    }
    assert all(h["language"] == "python" for h in published.values()), "pre-commit must build their environment"
    assert published["validate-connectors"]["entry"] == "compiler validate"
    harness = published["runtime-test"]
    assert harness["entry"] == "runtime test"
    assert harness["name"] == "connector cases"
    assert harness["pass_filenames"] is False, "the harness runs every case; a data file is not a case"
    assert ".[runtime]" in harness["additional_dependencies"], "the base install has no engine"
    files = re.compile(harness["files"])
    for path in ("connectors/hr-employees.yaml", "tests/connectors/hr-employees/sync.yaml", "tests/connectors/x/r.csv"):
        assert files.search(path), path
    for path in ("docs/testing-connectors.md", "tests/gates/test_pre_commit_hooks.py", "runtime/cli.py"):
        assert not files.search(path), path
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
