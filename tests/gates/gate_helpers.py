"""Helpers for the quality-gate tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_IGNORE_ANYWHERE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
    ".data", ".cache", "*.duckdb",
)  # fmt: skip
_IGNORE_AT_ROOT = {"site", "out", "state", "demo"}
"""Build and run outputs at the top of the tree; `runtime/state/` is source and must be copied."""


def copy_repo(source: Path, target: Path) -> Path:
    """Copy the working tree (without VCS data, environments, caches or run outputs) to `target`."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(_IGNORE_ANYWHERE(folder, names))
        if Path(folder) == source:
            ignored |= _IGNORE_AT_ROOT & set(names)
        return ignored

    shutil.copytree(source, target, ignore=ignore)
    return target


def run_script(root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python scripts/<script> ARGS` run from `root`, as a user runs it."""
    return subprocess.run(
        [sys.executable, f"scripts/{script}", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must occur) by `new` in a file of the copy."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path}; the test's seed no longer matches the file"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_schema(root: Path, mutate: Callable[[dict[str, Any]], None]) -> None:
    """Load the copy's connector schema, let `mutate` change it, write it back."""
    path = root / "compiler/schema/connector.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    mutate(schema)
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def sql_type(schema: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = schema["$defs"]["sqlPullSource"]["properties"]["type"]
    return node
