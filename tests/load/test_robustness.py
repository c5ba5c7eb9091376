"""Bad input never crashes: each file of a corpus of hostile or broken inputs gets a diagnostic with a position,
both through the library and through the command line (exit 1, no traceback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.check.checker import check_file
from compiler.load import MAX_FILE_BYTES

REPO = Path(__file__).resolve().parents[2]
VALID = (REPO / "connectors" / "hr-employees.yaml").read_bytes()


def _billion_laughs(levels: int = 12) -> bytes:
    """10**12 values once expanded: only a bounded expansion can answer at all."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


def _deep_block(depth: int) -> bytes:
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)).encode() + b" " * depth + b"x\n"


# name -> (file bytes, expected code, expected line, expected column); None = any position (but one is required).
CORPUS: dict[str, tuple[bytes, str, int | None, int | None]] = {
    "empty": (b"", "GS003", 1, 1),
    "only-comments": (b"# nothing\n\n# here\n", "GS003", 1, 1),
    "only-marker": (b"---\n", "GS003", 1, 1),
    "root-list": (b"- a\n- b\n", "GS004", 1, 1),
    "root-scalar": (b"just a sentence\n", "GS004", 1, 1),
    "root-number": (b"42\n", "GS004", 1, 1),
    "tab-indent": (b"apiVersion: x\nmetadata:\n\tname: hr\n", "GS007", 3, 1),
    "invalid-utf8": (b"apiVersion: x\nkind: \xc3\x28\n", "GS002", 2, 7),
    "latin1": ("apiVersion: x\nmetadata: {name: caf\xe9}\n".encode("latin-1"), "GS002", 2, 21),
    "utf16-bom": ("apiVersion: x\n".encode("utf-16"), "GS002", 1, 1),
    "utf16-no-bom": ("apiVersion: x\n".encode("utf-16-le"), "GS002", 1, 2),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "GS002", 3, 1),
    "syntax-error": (b"apiVersion: x\nkind: [Connector\nmetadata: {}\n", "GS001", 3, 9),
    "unclosed-quote": (b'apiVersion: "x\n', "GS001", 1, 13),
    "control-char": (b"apiVersion: x\x1b[31m\n", "GS001", 1, 14),
    "huge": (b"# padding\n" * (2 * 1024 * 1024 // 10), "GS006", 1, 1),
    "billion-laughs": (_billion_laughs(), "GS006", None, None),
    "deep-block": (_deep_block(100), "GS006", 66, 66),
    "deep-flow": (b"[" * 100 + b"]" * 100 + b"\n", "GS006", 1, 66),
    "deep-flow-unclosed": (b"[" * 5000 + b"\n", "GS006", None, None),
    "python-tag": (b"apiVersion: !!python/object/apply:os.system [rm -rf /]\n", "GS008", 1, 13),
    "custom-tag": (b"apiVersion: !Sub x\n", "GS008", 1, 13),
    "second-document-bad": (VALID + b"---\nkind: [\n", "GS001", 38, 1),
    "second-document-list": (VALID + b"---\n- a\n", "GS004", 37, 1),
    "duplicate-key": (VALID.replace(b"kind: Connector\n", b"kind: Connector\nkind: Connector\n"), "GS005", 5, 1),
    "huge-integer": (
        VALID.replace(b"    watermarkField", b"    batchSize: " + b"9" * 5000 + b"\n    watermarkField"),
        "GS001",
        17,
        16,
    ),
}


def _positioned(diagnostics: list[dict[str, object]], code: str, line: int | None, column: int | None) -> bool:
    for d in diagnostics:
        if d["code"] != code:
            continue
        assert isinstance(d["line"], int)
        assert isinstance(d["column"], int)
        assert d["line"] >= 1
        assert d["column"] >= 1
        if line is None or (d["line"], d["column"]) == (line, column):
            return True
    return False


def test_the_huge_file_is_over_the_limit() -> None:
    assert len(CORPUS["huge"][0]) > MAX_FILE_BYTES


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_library_reports_a_positioned_diagnostic(name: str) -> None:
    raw, code, line, column = CORPUS[name]
    report = check_file(raw, f"{name}.yaml")
    found = [{"code": d.code, "line": d.line, "column": d.column} for d in report.diagnostics]
    assert _positioned(found, code, line, column), f"expected {code} at {line}:{column}, got {found}"
    # Only a document that passed every check contributes a connector: in these files, at most the valid first
    # document of a multi-document file.
    assert len(report.facts) == (1 if name.startswith("second-document") else 0)
    assert all(f.document == 0 for f in report.facts)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["GEMINI_SYNC_CACHE_DIR"] = str(tmp_path / "cache")
    env.pop("GITHUB_ACTIONS", None)
    return env


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_cli_exits_1_with_a_position_and_no_traceback(name: str, tmp_path: Path, cli_env: dict[str, str]) -> None:
    raw, code, line, column = CORPUS[name]
    target = tmp_path / f"{name}.yaml"
    target.write_bytes(raw)
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "validate_connectors.py"), "--format", "json", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=cli_env,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    report = json.loads(proc.stdout)
    assert _positioned(report["diagnostics"], code, line, column), report["diagnostics"]
    assert all(d["file"] == f"{name}.yaml" for d in report["diagnostics"])


def test_cli_text_output_of_a_binary_file_is_plain_text(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """No raw bytes of a hostile file reach the terminal (escape sequences could rewrite the screen)."""
    target = tmp_path / "ansi.yaml"
    target.write_bytes(b"apiVersion: x\x1b[2J\x1b[31m\n")
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "validate_connectors.py"), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=cli_env,
        check=False,
    )
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout, proc.stdout
    assert "ansi.yaml:1:14: error[GS001]" in proc.stdout
