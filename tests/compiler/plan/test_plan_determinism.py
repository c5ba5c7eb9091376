"""Plans are byte-identical across clones and working directories (no timestamps, no absolute paths).

Two temporary `git clone`s of this repository are built from different working directories and with relative and
absolute paths; every plan must be byte-identical. The compiler under test is this checkout's (`python -P`
keeps the clone's own copy of the package off `sys.path`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


def _compiler(cwd: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-P", "-m", "compiler", "build", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _plans(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.plan.json"))}


@pytest.mark.slow
def test_two_clones_build_identical_bytes(tmp_path: Path) -> None:
    if shutil.which("git") is None:  # pragma: no cover - git is part of the dev setup
        pytest.fail("git is needed for the clone determinism test")
    clones = [tmp_path / "first" / "repo", tmp_path / "second" / "elsewhere" / "repo"]
    for clone in clones:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    builds = {
        "clone 1, repo root, relative path": (clones[0], ("connectors", "--out", str(tmp_path / "o1"))),
        "clone 2, repo root, relative path": (clones[1], ("connectors", "--out", str(tmp_path / "o2"))),
        "clone 2, connectors/ as cwd": (clones[1] / "connectors", (".", "--out", str(tmp_path / "o3"))),
        "outside any clone, absolute path": (outside, (str(clones[0] / "connectors"), "--out", str(tmp_path / "o4"))),
    }
    results = {}
    for label, (cwd, args) in builds.items():
        _compiler(cwd, *args)
        results[label] = _plans(Path(args[-1]))
    first = next(iter(results.values()))
    assert len(first) == len(list((ROOT / "connectors").glob("*.yaml")))  # every example, file_pull's included
    for label, plans in results.items():
        assert plans == first, f"{label} differs from the first build"
    for raw in first.values():
        assert str(tmp_path).encode() not in raw
        assert b'"path": "connectors/' in raw
