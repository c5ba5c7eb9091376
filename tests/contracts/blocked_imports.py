"""Run Python with some top-level modules made unimportable, as in an install without the extras providing them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_EXTRAS = ("duckdb", "pyarrow", "sqlalchemy", "httpx", "xxhash", "psycopg", "pymysql", "pyodbc", "oracledb")

_PRELUDE = """
import importlib.abc, sys
BLOCKED = set({blocked!r})
class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Missing())
"""


def run_without(
    blocked: Iterable[str], code: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c PRELUDE + code` in `cwd`, with this checkout first on the path."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-c", _PRELUDE.format(blocked=sorted(blocked)) + code],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
