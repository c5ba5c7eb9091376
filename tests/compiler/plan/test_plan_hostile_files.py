"""Hostile plan files: `compiler show`, `compiler diff` and `runtime exec` refuse them in one line with exit 2.

Run as real processes, so that a traceback or an "internal error" anywhere on the way would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler.plan import PlanFormatError, loads
from compiler.plan.codec import MAX_PLAN_BYTES, parse_json
from compiler.plan.files import FileTooLarge, NotARegularFile, read_regular_file

ROOT = Path(__file__).parents[3]
GOLDEN = ROOT / "tests" / "golden" / "plans" / "kb-rest.plan.json"


def _nested(path: Path) -> str:
    path.write_bytes(b"[" * 100_000)
    return "nests too deeply"


def _long_integer(path: Path) -> str:
    text = GOLDEN.read_text()
    assert '"formatVersion": 1' in text
    path.write_text(text.replace('"formatVersion": 1', '"formatVersion": ' + "9" * 5000))
    return "an integer of 5,000 digits"


def _long_integer_inside(path: Path) -> str:
    path.write_text('{"formatVersion": 1, "x": [' + "1" * 4000 + "]}")
    return "an integer of 4,000 digits"


def _nan(path: Path) -> str:
    path.write_text('{"formatVersion": 1, "x": NaN}')
    return "NaN is not JSON"


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "is a FIFO (named pipe), not a regular file"


def _dev_zero(path: Path) -> str:
    path.symlink_to("/dev/zero")
    return "is a character device, not a regular file"


HOSTILE: dict[str, Callable[[Path], str]] = {
    "nested": _nested,
    "long-integer": _long_integer,
    "long-integer-inside": _long_integer_inside,
    "nan": _nan,
    "fifo": _fifo,
    "dev-zero": _dev_zero,
}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False, env=os.environ
    )


def _assert_one_line_refusal(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_compiler_show_refuses_in_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "plan.json"
    message = HOSTILE[kind](path)
    _assert_one_line_refusal(_run("-m", "compiler", "show", str(path), cwd=tmp_path), message)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_compiler_diff_refuses_in_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "plan.json"
    message = HOSTILE[kind](path)
    _assert_one_line_refusal(_run("-m", "compiler", "diff", str(GOLDEN), str(path), cwd=tmp_path), message)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_runtime_exec_refuses_with_exit_2(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "plan.json"
    message = HOSTILE[kind](path)
    result = _run("-m", "runtime", "exec", str(path), "--state-dir", str(tmp_path / "state"), cwd=tmp_path)
    _assert_one_line_refusal(result, message)


def test_integers_up_to_64_bits_still_load() -> None:
    assert parse_json(b'{"a": 18446744073709551615, "b": -9223372036854775808}') == {
        "a": 18446744073709551615,
        "b": -9223372036854775808,
    }
    assert loads(GOLDEN.read_bytes()).name == "kb-rest"


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(PlanFormatError, match="a plan is at most"):
        parse_json(b" " * (MAX_PLAN_BYTES + 1))


def test_reader_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(FileTooLarge) as caught:
        read_regular_file(path, 1000)
    assert caught.value.size == 1001
    assert read_regular_file(path, 1001) == b"x" * 1001
    with pytest.raises(NotARegularFile, match="a folder"):
        read_regular_file(tmp_path, 1000)
