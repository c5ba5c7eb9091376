"""`scripts/check_tdd_guardrails.py`: every code, connector and command has a test; seeded gaps are found."""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from gate_helpers import ROOT, edit, run_script

GATE = "check_tdd_guardrails.py"
Added = Callable[[Path], list[str]]

sys.path.insert(0, str(ROOT / "scripts"))
import check_tdd_guardrails as guard  # noqa: E402


def problems(repo: Path) -> list[str]:
    result = run_script(repo, GATE)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in {0, 1}, result.stderr
    lines = result.stdout.splitlines()
    assert (result.returncode == 1) == bool(lines), (result.returncode, result.stdout, result.stderr)
    return lines


@functools.cache
def _baseline(pristine: Path) -> frozenset[str]:
    return frozenset(problems(pristine))


@pytest.fixture
def added(_pristine_copy: Path) -> Added:
    baseline = _baseline(_pristine_copy)
    return lambda repo: [line for line in problems(repo) if line not in baseline]


def test_passes_on_the_clean_tree(repo: Path) -> None:
    assert problems(repo) == []


def _a_case_file(repo: Path) -> Path:
    files = sorted((repo / "tests/check/cases").glob("GS*.yaml"))
    assert files, "no rule case files yet"
    return files[0]


def test_missing_case_file(repo: Path, added: Added) -> None:
    path = _a_case_file(repo)
    path.unlink()
    code = path.stem
    assert added(repo) == [
        f"{code}: no test case file tests/check/cases/{code}.yaml; add one with a case that triggers {code}"
    ]


def test_case_file_whose_cases_do_not_expect_its_code(repo: Path, added: Added) -> None:
    path = repo / "tests/check/cases/GS103.yaml"
    path.write_text(
        "code: GS103\ncases:\n  - name: only a clean file\n    files: {a.yaml: {base: sql}}\n    expect: []\n"
        "  - name: mentions GS103 in its name only\n    files: {a.yaml: {base: sql}}\n"
        "    expect: [{code: GS101, file: a.yaml, line: 4, column: 9}]\n",
        encoding="utf-8",
    )
    assert added(repo) == [
        "GS103: no case in tests/check/cases/GS103.yaml expects it; add a case whose expected diagnostics include GS103"
    ]


def test_new_code_without_cases(repo: Path, added: Added) -> None:
    edit(
        repo / "compiler/check/codes.py",
        "BY_CODE: dict[str, Code]",
        'CODES = (*CODES, Code("GS199", "seeded", _E, "A seeded code."))\n\nBY_CODE: dict[str, Code]',
    )
    assert added(repo) == [
        "GS199: no test case file tests/check/cases/GS199.yaml; add one with a case that triggers GS199"
    ]


def test_connector_not_exercised(repo: Path, added: Added) -> None:
    name = "-".join(("kb", "never", "tested"))  # built at run time: this file must not name it
    source = (repo / "connectors/kb-rest.yaml").read_text(encoding="utf-8")
    (repo / f"connectors/{name}.yaml").write_text(source.replace("name: kb-rest", f"name: {name}"))
    assert added(repo) == [
        f"connectors/{name}.yaml: not exercised by any test; name '{name}.yaml' in a test under tests/"
    ]


def test_command_without_a_test(repo: Path, added: Added) -> None:
    (repo / "compiler/commands/frob.py").write_text(
        'NAME = "frob"\nHELP = "seeded"\n\n\ndef add_arguments(parser):\n    pass\n\n\ndef run(args):\n    return 0\n'
    )
    cli = repo / "compiler/cli.py"
    text = cli.read_text(encoding="utf-8")
    seeded = re.sub(r"(COMMANDS: tuple\[[^\]]*\] = \()", r'\1"frob", ', text, count=1)
    assert seeded != text, "could not register the seeded command"
    cli.write_text(seeded, encoding="utf-8")
    assert added(repo) == ["compiler frob: no test runs this command; add one under tests/ that runs `compiler frob`"]


def test_touching_an_unrelated_test_does_not_satisfy_it(repo: Path, added: Added) -> None:
    path = _a_case_file(repo)
    path.unlink()
    code = path.stem
    (repo / "tests/gates/test_touched.py").write_text(f"def test_nothing():\n    assert True  # {code}\n")
    (repo / f"tests/check/cases/{code}-notes.txt").write_text(f"expect: {code}\n")
    assert added(repo) == [
        f"{code}: no test case file tests/check/cases/{code}.yaml; add one with a case that triggers {code}"
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('from compiler.cli import main\nmain(["build", "connectors/"])\n', {("compiler", "build")}),
        ('from compiler import cli\ncli.main(["show", "p.json"])\n', {("compiler", "show")}),
        (
            'import subprocess, sys\nsubprocess.run([sys.executable, "-m", "runtime", "exec", "p"])\n',
            {("runtime", "exec")},
        ),
        ('import subprocess\nsubprocess.run(["compiler", "validate"])\n', {("compiler", "validate")}),
        ('import subprocess\nsubprocess.run("runtime demo --dir x", shell=True)\n', {("runtime", "demo")}),
        ('# compiler build\nx = ["compiler", "build"]\n', set()),
        ('main(["build"])\n', set()),
        (
            "import subprocess, sys\n"
            "def cli(*args):\n    return subprocess.run([sys.executable, '-m', 'runtime', *args])\n"
            "def test_x():\n    cli('exec', 'plan.json')\n    cli(*['demo'])\n",
            {("runtime", "exec")},
        ),
    ],
)
def test_command_detection(source: str, expected: set[tuple[str, str]]) -> None:
    found = guard.commands_run(ast.parse(source))
    assert {pair for pair in found if pair[1] in {"build", "show", "exec", "validate", "demo"}} == expected
