"""docs/testing-connectors.md shows `runtime test` output and states its exit codes: run them, as a user would.

Each test works in a connector repository of its own (the example connector `hr-employees` and its cases, copied
from this tree) and runs `python -m runtime test` there. The text blocks the page quotes are compared with what the
command prints (timings aside), so the page cannot drift from the harness.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gate_helpers import ROOT

PAGE = ROOT / "docs" / "testing-connectors.md"
CASES = Path("tests/connectors/hr-employees")
TIMING = re.compile(r"\d+\.\d\d s\)")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.M | re.S)


def _quoted(needle: str) -> str:
    (block,) = [b for b in _blocks("text") if needle in b]
    return block


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A connector repository: one connector and its cases."""
    (tmp_path / "connectors").mkdir()
    shutil.copy(ROOT / "connectors/hr-employees.yaml", tmp_path / "connectors")
    shutil.copytree(ROOT / CASES, tmp_path / CASES)
    return tmp_path


def runtime_test(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", "test", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**{k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}, "NO_COLOR": "1"},
    )


def _untimed(text: str) -> str:
    return TIMING.sub("N s)", text).strip()


def test_the_example_cases_pass_as_the_page_shows(repo: Path) -> None:
    done = runtime_test(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    (shown,) = [b for b in _blocks("console") if "$ runtime test\n" in b]
    assert _untimed(done.stdout) == _untimed(shown.removeprefix("$ runtime test\n"))


def test_an_invalid_case_file_is_the_quoted_line_and_exit_2(repo: Path) -> None:
    quoted = _quoted("unknown key 'bogus'").strip()
    path, line, column = quoted.split(":")[:3]
    assert (path, line, column) == ("tests/connectors/hr-employees/bad.yaml", "4", "28")
    (repo / path).write_text(
        "connector: hr-employees\nruns:\n  - given: {tables: {employees: []}}\n    expect: {upserted: [], bogus: 1}\n",
        encoding="utf-8",
    )
    done = runtime_test(repo, path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"runtime: error: {quoted}"
    assert "Traceback" not in done.stderr
    # It stops the whole command before any case runs, even when the other cases are fine.
    everything = runtime_test(repo)
    assert everything.returncode == 2
    assert "PASS" not in everything.stdout


def test_scaffold_then_a_wrong_expectation_gives_the_quoted_keyed_diff(repo: Path) -> None:
    scaffolded = runtime_test(repo, "--scaffold", "hr-employees")
    assert scaffolded.returncode == 0, scaffolded.stdout + scaffolded.stderr
    starter = repo / CASES / "starter.yaml"
    assert runtime_test(repo, str(starter.relative_to(repo))).returncode == 0
    again = runtime_test(repo, "--scaffold", "hr-employees")
    assert again.returncode == 2
    assert "exists; edit it, or remove it to scaffold again" in again.stderr

    text = starter.read_text(encoding="utf-8")
    assert text.count("title: full_name 1 (edited)") == 1
    starter.write_text(text.replace("title: full_name 1 (edited)", "title: Someone else"), encoding="utf-8")
    failed = runtime_test(repo, str(starter.relative_to(repo)))
    assert failed.returncode == 1
    assert _untimed(failed.stdout) == _untimed(_quoted("FAIL hr-employees/starter"))


def test_update_keeps_comments_and_exits_0(repo: Path) -> None:
    case = repo / CASES / "sync.yaml"
    text = case.read_text(encoding="utf-8")
    wrong = text.replace("title: Grace Hopper", "title: Grace Murray Hopper  # the full name")
    case.write_text(wrong, encoding="utf-8")
    assert runtime_test(repo, "connectors/hr-employees.yaml").returncode == 1
    updated = runtime_test(repo, str(case.relative_to(repo)), "--update")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert f"updated {case.relative_to(repo)}" in updated.stderr
    after = case.read_text(encoding="utf-8")
    assert re.search(r"^ +title: Grace Hopper +# the full name$", after, re.M), after
    assert after.splitlines()[:2] == text.splitlines()[:2]  # the schema modeline and the comment stay
    assert runtime_test(repo, str(case.relative_to(repo))).returncode == 0


def test_junit_as_the_page_describes(repo: Path) -> None:
    case = repo / CASES / "sync.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("deleted: ['3']", "deleted: ['2']"), encoding="utf-8")
    (repo / "tests/connectors/nobody").mkdir()
    (repo / "tests/connectors/nobody/case.yaml").write_text(
        "connector: nobody\nruns:\n  - given: {}\n    expect: {upserted: []}\n", encoding="utf-8"
    )
    done = runtime_test(repo, "--format", "junit", "--output", "connector-cases.xml")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "FAIL hr-employees/sync" in done.stderr  # the text report goes to stderr
    suite = ET.parse(repo / "connector-cases.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("name") == "connector cases"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert set(cases) == {("hr-employees", "sync"), ("hr-employees", "failed-extraction"), ("nobody", "case")}
    failure = cases["hr-employees", "sync"].find("failure")
    assert failure is not None
    assert "deleted" in (failure.text or "")
    error = cases["nobody", "case"].find("error")
    assert error is not None
    assert "no connector named 'nobody'" in (error.text or "")
    assert not list(cases["hr-employees", "failed-extraction"])


def test_exit_2_for_paths_and_connectors_without_cases(repo: Path) -> None:
    assert runtime_test(repo, "tests/connectors/missing").returncode == 2
    shutil.copy(ROOT / "connectors/kb-rest.yaml", repo / "connectors")
    done = runtime_test(repo, "connectors/kb-rest.yaml")
    assert done.returncode == 2
    assert "`runtime test --scaffold kb-rest`" in done.stderr
    assert runtime_test(repo, "--format", "xml").returncode == 2
    shutil.rmtree(repo / "tests/connectors")
    missing = runtime_test(repo)
    assert missing.returncode == 2
    assert "tests/connectors: no such case file or folder" in missing.stderr
    (repo / "tests/connectors").mkdir()
    empty = runtime_test(repo)
    assert empty.returncode == 2
    assert "no case files found" in empty.stderr


def test_the_delete_guard_example_fails_as_quoted(repo: Path) -> None:
    """The page's run (an empty table after a first sync) appended to a case with the same declared tables."""
    (example,) = [b for b in _blocks("yaml") if "the table comes back empty" in b]
    failed = (repo / CASES / "failed-extraction.yaml").read_text(encoding="utf-8")
    head = failed.split("runs:\n")[0]
    first = "  - name: first sync\n    given:\n      tables:\n        employees: {file: employees.csv}\n"
    first += "    expect: {deleted: []}\n"
    (repo / CASES / "guard.yaml").write_text(f"{head}runs:\n{first}{example}", encoding="utf-8")
    done = runtime_test(repo, str(CASES / "guard.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    # Without the expectation the run's failure is the guard's message, which the page quotes the start of.
    (repo / CASES / "guard.yaml").write_text(
        f"{head}runs:\n{first}{example.split('    expect:')[0]}    expect: {{deleted: []}}\n", encoding="utf-8"
    )
    unguarded = runtime_test(repo, str(CASES / "guard.yaml"))
    assert unguarded.returncode == 1
    assert "actual:   delete guard: the source returned no records but 3 documents are known" in unguarded.stdout


def test_the_format_example_is_a_passing_case(repo: Path) -> None:
    (example,) = [b for b in _blocks("yaml") if b.startswith("# yaml-language-server: $schema=")]
    (repo / CASES / "example.yaml").write_text(example, encoding="utf-8")
    done = runtime_test(repo, str(CASES / "example.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS hr-employees/example (1 run(s)," in done.stdout
