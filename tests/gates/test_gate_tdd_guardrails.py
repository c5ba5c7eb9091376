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


def _case(connector: str, runs: int = 2) -> str:
    """A minimal harness case: `runs` runs, each expecting nothing upserted."""
    body = "".join(f"  - name: run {i + 1}\n    expect: {{upserted: []}}\n" for i in range(runs))
    return f"connector: {connector}\nruns:\n{body}"


def _write(repo: Path, rel: str, text: str | bytes) -> Path:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _cover(repo: Path) -> None:
    """Give every connector without harness cases a minimal two-run case (real cases are left as they are)."""
    by_name, unreadable = guard.read_connectors(repo)
    assert not unreadable, unreadable
    for name in by_name:
        folder = repo / "tests/connectors" / name
        if not guard.yaml_files(folder, recursive=True):
            _write(repo, f"tests/connectors/{name}/gate-test.yaml", _case(name))


def _new_connector(repo: Path, name: str) -> str:
    """A copy of kb-rest named `name` (its `metadata.name` is at 6:9, like kb-rest's)."""
    source = (repo / "connectors/kb-rest.yaml").read_text(encoding="utf-8")
    assert "\n  name: kb-rest\n" in source
    (repo / f"connectors/{name}.yaml").write_text(source.replace("name: kb-rest", f"name: {name}"), encoding="utf-8")
    return f"connectors/{name}.yaml"


def test_passes_on_the_clean_tree(repo: Path) -> None:
    _cover(repo)
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


def test_connector_without_a_harness_case(repo: Path, added: Added) -> None:
    rel = _new_connector(repo, "kb-seeded")
    # Naming it in a test, or data named after it, is not a harness case any more.
    (repo / "tests/gates/test_touched.py").write_text('PATH = "connectors/kb-seeded.yaml"\n', encoding="utf-8")
    _write(repo, "tests/golden/kb-seeded.json", "{}\n")
    assert added(repo) == [
        f"{rel}:6:9: connector 'kb-seeded' has no harness case; add tests/connectors/kb-seeded/<case>.yaml with"
        " `connector: kb-seeded` (`runtime test --scaffold kb-seeded` writes a starter)"
    ]


def test_connector_whose_cases_never_run_twice(repo: Path, added: Added) -> None:
    rel = _new_connector(repo, "kb-seeded")
    _write(repo, "tests/connectors/kb-seeded/one.yaml", _case("kb-seeded", runs=1))
    _write(repo, "tests/connectors/kb-seeded/other.yml", _case("kb-seeded", runs=1))
    # A two-run case in another folder is misplaced: it does not count for kb-seeded.
    _write(repo, "tests/connectors/kb-rest/two.yaml", _case("kb-seeded"))
    assert added(repo) == [
        "tests/connectors/kb-rest/two.yaml:1:12: case of 'kb-seeded' is in tests/connectors/kb-rest/;"
        " move it to tests/connectors/kb-seeded/",
        f"{rel}:6:9: connector 'kb-seeded' has no case with two runs, so reconciliation goes untested; add a second"
        " run (an update or a delete) to a case in tests/connectors/kb-seeded/",
    ]


def test_a_two_run_case_satisfies_its_connector(repo: Path, added: Added) -> None:
    _new_connector(repo, "kb-seeded")
    _write(repo, "tests/connectors/kb-seeded/one.yaml", _case("kb-seeded", runs=1))
    _write(repo, "tests/connectors/kb-seeded/nested/two.yaml", _case("kb-seeded"))
    assert added(repo) == []


def test_case_of_a_connector_that_does_not_exist(repo: Path, added: Added) -> None:
    rel = "tests/connectors/kb-gone/a.yaml"
    _write(repo, rel, _case("kb-gone"))
    by_name, _ = guard.read_connectors(repo)
    assert added(repo) == [
        f"{rel}:1:12: connector 'kb-gone' is not in connectors/ (known: {', '.join(sorted(by_name))});"
        " name one of them or add the connector"
    ]


@pytest.mark.parametrize(
    ("rel", "placed"),
    [
        ("tests/connectors/hr-employees/kb.yaml", "is in tests/connectors/hr-employees/"),
        ("tests/connectors/kb.yaml", "is not in a connector folder"),
    ],
)
def test_case_in_the_wrong_folder(repo: Path, added: Added, rel: str, placed: str) -> None:
    _write(repo, rel, _case("kb-rest"))
    assert added(repo) == [f"{rel}:1:12: case of 'kb-rest' {placed}; move it to tests/connectors/kb-rest/"]


NOTHING = "; give it a non-empty `expect:` mapping (upserted, deleted, softDeleted, watermark or failure)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connector: kb-rest\ndescription: no runs\n",
            "1:1: no runs, so nothing is expected; add `runs:` with at least one run and its `expect:`",
        ),
        (
            "connector: kb-rest\nruns: []\n",
            "2:7: no runs, so nothing is expected; add `runs:` with at least one run and its `expect:`",
        ),
        ("connector: kb-rest\nruns:\n  - name: first\n    given: {}\n", "3:5: run 1 ('first') expects nothing"),
        ("connector: kb-rest\nruns:\n  - given: {}\n    expect: {}\n", "4:5: run 1 expects nothing"),
        (
            "connector: kb-rest\nruns:\n  - expect: {deleted: []}\n  - name: again\n    expect:\n",
            "5:5: run 2 ('again') expects nothing",
        ),
    ],
    ids=["no-runs", "empty-runs", "no-expect", "empty-expect", "second-run-null-expect"],
)
def test_case_without_expectations(repo: Path, added: Added, text: str, expected: str) -> None:
    _cover(repo)  # kb-rest has a two-run case, so only the bare case is new
    rel = "tests/connectors/kb-rest/bare.yaml"
    _write(repo, rel, text)
    line = f"{rel}:{expected}"
    assert added(repo) == [line if "no runs" in line else line + NOTHING]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"connector: kb-rest\nruns: [\n", "3:1: cannot be parsed as YAML ("),
        (b"connector: kb-rest\nconnector: kb-rest\n", "2:1: cannot be parsed as YAML (found duplicate key"),
        (b"connector: kb-rest\nruns:\n  - expect: {deleted: ['\xff']}\n", "3:25: is not UTF-8 text; save it as UTF-8"),
    ],
    ids=["syntax", "duplicate-key", "not-utf8"],
)
def test_case_that_cannot_be_parsed(repo: Path, added: Added, text: bytes, expected: str) -> None:
    rel = "tests/connectors/kb-rest/broken.yaml"
    _write(repo, rel, text)
    lines = added(repo)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{rel}:{expected}"), lines
    assert lines[0].endswith(("; fix the YAML there", "; save it as UTF-8")), lines


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
