"""The base install is the linter, the compiler and the gates: none of them imports a runtime extra, and the
runtime names the extra to install when one is missing (one line, never a traceback).

The pre-commit test (tests/gates/test_pre_commit_hooks.py) proves the same with a real base-only environment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from blocked_imports import ROOT, RUNTIME_EXTRAS, run_without

from compiler.plan.providers import PROVIDERS
from runtime.errors import SourceError
from runtime.optional import EXTRAS, MissingExtra, install_hint, require


def _repo_copy(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(ROOT / "connectors", work / "connectors")
    return work


def test_validate_and_build_the_examples_without_any_runtime_extra(tmp_path: Path) -> None:
    work = _repo_copy(tmp_path)
    code = (
        "from compiler.cli import main\n"
        "assert main(['validate', '--no-cache', 'connectors']) == 0\n"
        "assert main(['build', 'connectors', '--out', 'plans']) == 0\n"
        "assert main(['validate', '--format', 'sarif', 'connectors']) == 0\n"
        "leaked = sorted(m for m in sys.modules if m.partition('.')[0] in BLOCKED)\n"
        "assert not leaked, leaked\n"
    )
    result = run_without(RUNTIME_EXTRAS, code, work, {"GEMINI_SYNC_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (work / "plans").iterdir()) == [
        "hr-employees.plan.json",
        "hr-file-csv.plan.json",
        "kb-rest.plan.json",
        "support-push.plan.json",
    ]


def test_the_blocker_does_block(tmp_path: Path) -> None:
    """Without this the test above could pass with the modules present."""
    result = run_without(["duckdb"], "import duckdb", tmp_path)
    assert result.returncode == 1
    assert "No module named 'duckdb'" in result.stderr


def test_runtime_without_its_extra_names_it_in_one_line(tmp_path: Path) -> None:
    code = "from runtime.optional import console_main\nsys.exit(console_main(['--help']))"
    result = run_without(RUNTIME_EXTRAS, code, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("runtime: error: ")
    assert "it comes with the 'runtime' extra: pip install 'gemini-sync[runtime]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


DRIVER_URLS = [
    ("postgres", "postgresql://u:secret-pw@127.0.0.1:1/db", "postgres"),
    ("mysql", "mysql://u:secret-pw@127.0.0.1:1/db", "mysql"),
    ("mssql", "mssql://u:secret-pw@127.0.0.1:1/db", "mssql"),
    ("oracle", "oracle://u:secret-pw@127.0.0.1:1/?service_name=XE", "oracle"),
]


def test_every_provider_with_a_driver_extra_is_covered() -> None:
    """The embedded providers' libraries come with the runtime extra (DuckDB) or Python itself (sqlite3)."""
    assert [row[0] for row in DRIVER_URLS] == [p.name for p in PROVIDERS.values() if p.extra not in (None, "runtime")]


@pytest.mark.parametrize(("provider", "url", "extra"), DRIVER_URLS)
def test_a_missing_driver_names_its_extra(tmp_path: Path, provider: str, url: str, extra: str) -> None:
    driver = PROVIDERS[provider].driver_module
    assert driver is not None
    assert PROVIDERS[provider].extra == extra
    code = (
        "sys.path.insert(0, 'tests/runtime/extract')\n"
        "from extract_helpers import make_source\n"
        "from runtime.extract import open_extractor\n"
        "from runtime.errors import SourceError\n"
        "try:\n"
        f"    open_extractor(make_source({provider!r}), {url!r})\n"
        "except SourceError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    result = run_without([driver], code, ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MissingExtra ")
    assert f"pip install 'gemini-sync[{extra}]'" in result.stdout
    assert "secret-pw" not in result.stdout


def test_a_gs_folder_without_the_gcs_extra_names_it() -> None:
    code = (
        "from runtime.sources.files.gcs import GcsFolder\n"
        "from runtime.errors import SourceError\n"
        "try:\n"
        "    GcsFolder.from_uri('gs://example-drop/hr', '*.csv')\n"
        "except SourceError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    result = run_without(["google"], code, ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MissingExtra google.cloud.storage is not installed")
    assert "pip install 'gemini-sync[gcs]'" in result.stdout


def test_require_passes_for_installed_modules_and_every_extra_is_declared() -> None:
    require("duckdb")
    with pytest.raises(MissingExtra, match=r"pip install 'gemini-sync\[gcs\]'"):
        require("google.cloud.no_such_module_here")
    assert issubclass(MissingExtra, SourceError)
    assert install_hint("somelib") == "somelib is not installed; it comes with somelib: pip install somelib"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for extra in set(EXTRAS.values()):
        assert f"\n{extra} = [" in pyproject, f"extra {extra!r} is not declared in pyproject.toml"
