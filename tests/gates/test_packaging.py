"""Packaging papercuts: the examples pass yamllint's default config, the license is an SPDX expression with its
text shipped, and the extras are split as documented (base = linter, compiler, gates)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from gate_helpers import ROOT

from compiler.plan.providers import PROVIDERS

YAMLLINT = shutil.which("yamllint", path=str(Path(sys.executable).parent))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_examples_pass_yamllint_default_config() -> None:
    assert YAMLLINT, "yamllint is not installed (it is in the dev extra)"
    done = subprocess.run(
        [YAMLLINT, "--strict", "-d", "default", "connectors"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_license_is_an_spdx_expression_with_the_text_shipped() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    requires = PYPROJECT["build-system"]["requires"]
    assert requires == ["setuptools>=77"], "SPDX `license` strings need setuptools 77"


def test_base_install_holds_no_runtime_library_and_the_extras_do() -> None:
    base = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    drivers = {p.driver_module for p in PROVIDERS.values() if p.driver_module}
    for library in sorted({"duckdb", "pyarrow", "sqlalchemy", "httpx"} | drivers):
        assert library not in base, f"{library} is in the base install"
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"runtime", "gcs", "all", "dev"} | {p.extra for p in PROVIDERS.values() if p.extra} <= set(extras)
    assert "gemini-sync[all]" in extras["dev"]
    runtime = " ".join(extras["runtime"]).lower()
    for library in ("duckdb", "pyarrow", "sqlalchemy", "httpx"):
        assert library in runtime


def test_the_schemas_ship_in_the_wheel() -> None:
    """Editors and the linter read both schemas from the installed package: package-data must select them."""
    from fnmatch import fnmatch

    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["compiler"]
    for schema in ("connector.schema.json", "connector-case.schema.json", "plan.schema.json"):
        assert (ROOT / "compiler/schema" / schema).is_file()
        assert any(fnmatch(f"schema/{schema}", pattern) for pattern in patterns), f"{schema} is not package data"
