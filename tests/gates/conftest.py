"""Fixtures for the quality-gate tests: a scratch copy of the repository to seed defects in.

Tests never modify the real tree: each gets its own copy (sources, docs, tests, connectors; no .git, venv or
caches) and runs the gate scripts of that copy, which import the copy's `compiler` package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gate_helpers import ROOT, copy_repo


@pytest.fixture(scope="session")
def _pristine_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repo(ROOT, tmp_path_factory.mktemp("pristine") / "repo")


@pytest.fixture
def repo(_pristine_copy: Path, tmp_path: Path) -> Path:
    """A private copy of the repository for this test."""
    target = tmp_path / "repo"
    shutil.copytree(_pristine_copy, target)
    return target
