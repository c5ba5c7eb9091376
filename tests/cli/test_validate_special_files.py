"""`compiler validate` on paths that are not regular files, or far too large: a prompt answer, never a hang.

Each check runs in a child process with a timeout and a 1 GiB address-space limit, so that a regression fails
quickly (timeout or MemoryError) instead of blocking on a FIFO or filling the machine's memory from /dev/zero.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.load import MAX_FILE_BYTES

REPO = Path(__file__).resolve().parents[2]
HR = (REPO / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _validate(*paths: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GEMINI_SYNC_CACHE_DIR": str(cwd / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "compiler", "validate", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=env,
        preexec_fn=_limit_memory,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "connectors").mkdir()
    (tmp_path / "connectors" / "hr-employees.yaml").write_text(HR, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("named", [True, False], ids=["named", "in-a-folder"])
def test_fifo_is_refused_without_blocking(folder: Path, named: bool) -> None:
    os.mkfifo(folder / "connectors" / "a.yaml")
    result = _validate("connectors/a.yaml" if named else "connectors", cwd=folder)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "error: connectors/a.yaml is a FIFO (named pipe); connector files must be regular files"
    )


@pytest.mark.parametrize("named", [True, False], ids=["named", "in-a-folder"])
def test_symlink_to_dev_zero_is_refused_without_reading(folder: Path, named: bool) -> None:
    (folder / "connectors" / "zero.yaml").symlink_to("/dev/zero")
    result = _validate("connectors/zero.yaml" if named else "connectors", cwd=folder)
    assert result.returncode == 2
    assert "connectors/zero.yaml is a character device; connector files must be regular files" in result.stderr
    assert "Traceback" not in result.stderr


def test_oversized_file_is_a_finding_with_its_real_size(folder: Path) -> None:
    size = MAX_FILE_BYTES * 3
    (folder / "connectors" / "big.yaml").write_bytes(b"#" * size)
    result = _validate("connectors", cwd=folder)
    assert result.returncode == 1
    assert f"connectors/big.yaml:1:1: error[GS006] the file is {size:,} bytes" in result.stdout
    assert "1 error" in result.stdout
