"""`runtime test` end to end in a temporary connector repository: real compile, real engine, real exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml

from tests.harness.repo import ROW1, ROW2, ROW2_EDITED, runtime_test, write_case, write_connector

TWO_RUNS = f"""\
# the team's notes on this case stay put through --update
connector: docs
runs:
  - name: first
    given:
      tables:
        docs:
          - {ROW1}
          - {ROW2}
    expect:
      upserted:
        - id: '1'
          title: Alpha
          content: 'Alpha: first'
          uri: https://docs.example.com/1
          mimeType: text/plain
          aclUsers: [a@example.com]
          metadata: {{team: red}}  # kept
        - id: '2'
          title: Beta
          content: 'Beta: second'
          uri: https://docs.example.com/2
          mimeType: text/plain
          aclUsers: [b@example.com]
          metadata: {{team: blue}}
      deleted: []
  - name: second
    given:
      tables:
        docs:
          - {ROW2_EDITED}
    expect:
      fields: subset
      upserted:
        - {{id: '2', content: 'Beta: edited'}}
      deleted: ['1']
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write_connector(tmp_path)
    return tmp_path


def test_a_passing_case_exits_0(repo: Path) -> None:
    write_case(repo, TWO_RUNS)
    done = runtime_test(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS docs/case (2 run(s)" in done.stdout
    assert "1 passed, 0 failed" in done.stdout


def test_a_wrong_expectation_fails_with_a_keyed_diff(repo: Path) -> None:
    write_case(repo, TWO_RUNS.replace("content: 'Alpha: first'", "content: 'Alpha: 1st'").replace("['1']", "[]"))
    done = runtime_test(repo)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    at = lines.index("  run 1 (first): document 1: content")
    assert lines[at + 1 : at + 3] == ['      expected: "Alpha: 1st"', '      actual:   "Alpha: first"']
    assert '  run 2 (second): deleted (unexpected ["1"])' in lines
    assert "\033[" not in done.stdout  # not a terminal: no colour


def test_subset_ignores_unlisted_fields_but_exact_does_not(repo: Path) -> None:
    write_case(repo, TWO_RUNS.replace("          metadata: {team: red}  # kept\n", ""))
    done = runtime_test(repo)
    assert done.returncode == 1
    assert "document 1: metadata" in done.stdout
    assert "(not listed)" in done.stdout


def test_a_case_for_a_missing_connector_fails(repo: Path) -> None:
    write_case(repo, TWO_RUNS.replace("connector: docs", "connector: nope"), connector="nope")
    done = runtime_test(repo)
    assert done.returncode == 1
    assert "no connector named 'nope' in connectors/ (known: docs)" in done.stdout


def test_a_bad_case_file_exits_2_with_its_position(repo: Path) -> None:
    path = write_case(
        repo, TWO_RUNS.replace("    expect:\n      fields: subset", "    expected:\n      fields: subset")
    )
    done = runtime_test(repo)
    assert done.returncode == 2
    line = path.read_text().splitlines().index("    expected:") + 1
    assert f"{path}:{line}:5: unknown key 'expected'" in done.stderr
    assert "Traceback" not in done.stderr


def test_junit_is_read_by_a_junit_consumer(repo: Path) -> None:
    write_case(repo, TWO_RUNS, name="good")
    write_case(repo, TWO_RUNS.replace("          title: Beta", "          title: Gamma"), name="bad")
    write_case(repo, TWO_RUNS.replace("connector: docs", "connector: gone"), connector="gone", name="orphan")
    done = runtime_test(repo, "--format", "junit", "--output", "report.xml")
    assert done.returncode == 1
    xml = JUnitXml.fromfile(str(repo / "report.xml"))
    cases = {(c.classname, c.name): c for suite in xml for c in suite}
    assert set(cases) == {("docs", "good"), ("docs", "bad"), ("gone", "orphan")}
    assert cases["docs", "good"].is_passed
    assert isinstance(cases["docs", "bad"].result[0], Failure)
    assert "document 2: title" in (cases["docs", "bad"].result[0].message or "")
    assert isinstance(cases["gone", "orphan"].result[0], Error)


def test_update_writes_actual_results_and_keeps_comments(repo: Path) -> None:
    stale = TWO_RUNS.replace("content: 'Alpha: first'", "content: stale").replace("deleted: ['1']", "deleted: []")
    path = write_case(repo, stale)
    assert runtime_test(repo).returncode == 1
    updated = runtime_test(repo, "--update")
    assert updated.returncode == 0, updated.stderr
    text = path.read_text()
    assert "# the team's notes on this case stay put through --update" in text
    assert "metadata: {team: red}  # kept" in text
    assert "content: 'Alpha: first'" in text
    assert "fields: subset" in text
    assert "- {id: '2', content: 'Beta: edited'}" in text
    assert runtime_test(repo).returncode == 0


def test_update_records_a_failure(repo: Path) -> None:
    path = write_case(
        repo, TWO_RUNS.replace(f"          - {ROW2_EDITED}", f"          - {ROW2_EDITED}\n      fail: gone")
    )
    assert runtime_test(repo, "--update").returncode == 0
    assert "failure: 'the source failed after the given rows (given.fail): gone'" in path.read_text()
    assert runtime_test(repo).returncode == 0


def test_a_connector_path_runs_its_cases(repo: Path) -> None:
    write_case(repo, TWO_RUNS)
    done = runtime_test(repo, "connectors/docs.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS docs/case" in done.stdout


def test_scaffold_writes_a_passing_two_run_starter(repo: Path) -> None:
    done = runtime_test(repo, "--scaffold", "docs")
    assert done.returncode == 0, done.stderr
    starter = repo / "tests" / "connectors" / "docs" / "starter.yaml"
    text = starter.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "        docs:\n          - {" in text  # rows for the query's table, shaped by its columns
    assert "deleted: ['2']" in text  # the second run removes a row: auto_delete_missing deletes it
    assert runtime_test(repo).returncode == 0
    again = runtime_test(repo, "--scaffold", "docs")
    assert again.returncode == 2
    assert "exists" in again.stderr


def test_a_killed_runs_scratch_is_swept_by_the_next(repo: Path) -> None:
    """kill -9 leaves a case folder behind (in /dev/shm, memory); the next `runtime test` removes it, and only
    folders of processes that are gone."""
    from runtime.harness.runner import SCRATCH_PREFIX, scratch_parent

    parent = Path(scratch_parent() or tempfile.gettempdir())
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    dead = parent / f"{SCRATCH_PREFIX}{gone.stdout.strip()}-abc123"
    alive = parent / f"{SCRATCH_PREFIX}{os.getpid()}-abc123"  # this test's own process
    for folder in (dead, alive):
        (folder / "state").mkdir(parents=True)
    try:
        write_case(repo, TWO_RUNS)
        assert runtime_test(repo).returncode == 0
        assert not dead.exists()
        assert alive.exists()
    finally:
        shutil.rmtree(dead, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)
