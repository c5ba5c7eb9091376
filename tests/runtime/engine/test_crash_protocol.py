"""kill -9 (and SIGTERM) at every durable step of `runtime exec`: replaying the bucket always yields the source.

The scenario is the false delete the commit protocol exists to prevent: a run that deletes a row is killed
somewhere between publishing and committing; the row then comes back unchanged. A consumer that imports every
committed run folder, in order, must still end up with exactly the source, and the next run must leave no
uncommitted folder behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
import xxhash

from compiler.plan import dumps
from runtime.deliver.publish import MARKER
from tests.runtime.engine.replay import replay, run_folders
from tests.runtime.planbuilder import make_plan

CRASHING = Path(__file__).with_name("crashing_exec.py")
pytestmark = pytest.mark.slow


def _write_source(path: Path, ids: list[int], changed: tuple[int, ...] = ()) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE IF EXISTS docs")
        con.execute(
            "CREATE TABLE docs (id BIGINT, title VARCHAR, body VARCHAR, department VARCHAR, users VARCHAR[],"
            " groups_csv VARCHAR, updated_at TIMESTAMPTZ)"
        )
        for i in ids:
            body = f"body {i} v2" if i in changed else f"body {i}"
            con.execute(
                "INSERT INTO docs VALUES (?, ?, ?, 'eng', [?], NULL, TIMESTAMPTZ '2024-01-01 00:00:00+00')",
                [i, f"Doc {i}", body, f"u{i}@example.com"],
            )


class Case:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.source = root / "source.duckdb"
        self.out = root / "out"
        self.state = root / "state"
        self.plan_path = root / "plan.json"
        plan = make_plan(self.out.as_uri(), acl_users="users")
        self.plan_path.write_bytes(dumps(plan))

    def exec(self, crash_at: int = 0, crash_signal: str = "SIGKILL") -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, SECRET_DOCS_DB=f"duckdb:///{self.source}", CRASH_AT=str(crash_at))
        env["CRASH_SIGNAL"] = crash_signal
        return subprocess.run(
            [sys.executable, str(CRASHING), "exec", str(self.plan_path), "--state-dir", str(self.state)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )

    def copy_to(self, root: Path) -> Case:
        shutil.copytree(self.root, root)
        case = Case.__new__(Case)
        case.root, case.source, case.out = root, root / "source.duckdb", root / "out"
        case.state, case.plan_path = root / "state", root / "plan.json"
        plan = make_plan(case.out.as_uri(), acl_users="users")  # the plan names its own bucket
        case.plan_path.write_bytes(dumps(plan))
        return case

    def uncommitted(self) -> set[str]:
        return {run for run in run_folders(self.out) if not (self.out / "runs" / run / MARKER).exists()}


FIRST = list(range(1, 21))
FINAL = [*FIRST, 21]  # after the crashed run: 5 deleted, then back unchanged; 7 changed; 21 new


def expected(tmp_path: Path) -> dict[str, object]:
    """The documents a clean full sync of the final source produces."""
    fresh = Case(tmp_path / "fresh")
    _write_source(fresh.source, FINAL, changed=(7,))
    result = fresh.exec()
    assert result.returncode == 0, result.stderr
    return replay(fresh.out)


def check_recovered(case: Case, want: dict[str, object], step: int) -> None:
    scratch = case.state / ".scratch"
    for folder in scratch.glob("docs-*") if scratch.exists() else ():
        os.utime(folder, (0, 0))  # a killed run's scratch, old enough not to be a live run's: removed next run
    again = case.exec()
    assert again.returncode == 0, f"step {step}: the run after the crash failed: {again.stderr}"
    assert not list(scratch.glob("docs-*")), f"step {step}: a killed run's scratch stayed"
    assert case.uncommitted() == set(), f"step {step}: uncommitted run folders left: {case.uncommitted()}"
    got = replay(case.out)
    assert got.keys() == want.keys(), f"step {step}: replay has {sorted(set(got) ^ set(want))} wrong"
    assert got == want, f"step {step}: a replayed document differs from the source"


def steps_of(result: subprocess.CompletedProcess[str]) -> int:
    line = [x for x in result.stderr.splitlines() if x.startswith("steps: ")]
    return int(line[-1].split()[1]) if line else -1


def _every_step(count: int, one: Callable[[int], None]) -> None:
    """Run `one(step)` for steps 1..count, a few at a time (each is its own scenario folder and processes)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(one, step) for step in range(1, count + 1)]:
            future.result()


@pytest.mark.parametrize("crash_signal", ["SIGKILL", "SIGTERM"])
def test_a_stop_at_any_step_of_a_deleting_run_never_loses_a_document(tmp_path: Path, crash_signal: str) -> None:
    want = expected(tmp_path)
    base = Case(tmp_path / "base")
    _write_source(base.source, FIRST)
    assert base.exec().returncode == 0

    def scenario(step: int) -> subprocess.CompletedProcess[str]:
        case = base.copy_to(tmp_path / f"step-{step}")
        _write_source(case.source, [i for i in FINAL if i != 5], changed=(7,))  # 5 deleted, 7 changed, 21 new
        crashed = case.exec(crash_at=step, crash_signal=crash_signal)
        if step == 0:
            return crashed
        if crash_signal == "SIGKILL":
            assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        else:
            assert crashed.returncode in (0, 130), crashed.stderr  # 0: the stop came during the commit
            assert "Traceback" not in crashed.stderr
            assert case.uncommitted() == set(), f"step {step}: a stopped run left {case.uncommitted()}"
        _write_source(case.source, FINAL, changed=(7,))  # 5 is back, unchanged
        check_recovered(case, want, step)
        return crashed

    steps = steps_of(scenario(0))  # the same run, not stopped: how many step boundaries it has
    assert steps >= 10  # publish (3 files), commit, marker: each hit before and after
    _every_step(steps, scenario)


def test_a_kill_at_any_step_of_the_very_first_run_never_locks_the_connector_out(tmp_path: Path) -> None:
    want = expected(tmp_path)

    def scenario(step: int) -> subprocess.CompletedProcess[str]:
        case = Case(tmp_path / f"first-{step}")
        _write_source(case.source, FINAL, changed=(7,))
        crashed = case.exec(crash_at=step)
        if step:
            assert crashed.returncode == -signal.SIGKILL, crashed.stderr
            check_recovered(case, want, step)
        return crashed

    steps = steps_of(scenario(0))
    assert steps >= 12  # as above, plus installing the new state file
    _every_step(steps, scenario)


def test_a_state_file_without_a_committed_run_is_replaced(tmp_path: Path) -> None:
    case = Case(tmp_path / "case")
    _write_source(case.source, FIRST)
    case.state.mkdir()
    (case.state / "docs.duckdb").write_bytes(b"")  # what a crash at the first write of an old version left
    assert case.exec().returncode == 0
    with duckdb.connect(str(case.state / "docs.duckdb")) as con:  # an attached file with tables but no run
        con.execute("DELETE FROM runs")
    result = case.exec()
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(case.state / "docs.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM documents").fetchall() == [(20,)]


def test_a_file_that_is_not_a_state_is_never_replaced(tmp_path: Path) -> None:
    case = Case(tmp_path / "case")
    _write_source(case.source, FIRST)
    case.state.mkdir()
    (case.state / "docs.duckdb").write_bytes(b"not a database, maybe someone's data" * 100)
    result = case.exec()
    assert result.returncode == 1
    assert "cannot open state file" in result.stderr
    assert "Move it aside" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # the error, and the helper's step count
    assert (case.state / "docs.duckdb").read_bytes().startswith(b"not a database")


def test_markers_name_the_run_and_manifests_the_protocol(tmp_path: Path) -> None:
    case = Case(tmp_path / "case")
    _write_source(case.source, FIRST)
    assert case.exec().returncode == 0
    (run,) = run_folders(case.out)
    marker = json.loads((case.out / "runs" / run / MARKER).read_text())
    assert marker["runId"] == run
    assert marker["report"]["counts"]["new"] == 20
    manifest = json.loads((case.out / "runs" / run / "manifest.json").read_text())
    assert manifest["commitMarker"] == MARKER
    assert set(manifest["files"]) == {"upserts.ndjson", "deletes.ndjson"}
    assert manifest["manifestVersion"] == 3
    for name, entry in manifest["files"].items():  # each file's checksum and line count, as written
        data = (case.out / "runs" / run / name).read_bytes()
        assert entry == {"lines": data.count(b"\n"), "xxh3_128": xxhash.xxh3_128(data).hexdigest()}
    assert manifest["files"]["upserts.ndjson"]["lines"] == 20
