"""State commit failure retracts artifacts; the CLI end to end on the embedded DuckDB provider; run locking."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from compiler.plan import dumps
from runtime.errors import StateError
from runtime.progress import progress_printer
from runtime.state import StateStore
from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import make_plan


def test_failed_state_commit_removes_the_published_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri()))
    h.run(docs_table(range(1, 6)))
    before = h.snapshot_files()

    def broken(con: duckdb.DuckDBPyConnection, change: object) -> None:
        con.execute("DELETE FROM st.documents")  # a partial write, then a failure: must be rolled back
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(StateStore, "_write_documents", staticmethod(broken))
    with pytest.raises(StateError, match=r"could not commit state .*disk full"):
        h.run(docs_table(range(1, 8)))
    assert h.snapshot_files() == before  # no new run folder, state rows intact


def test_a_second_concurrent_run_is_refused(tmp_path: Path) -> None:
    first = StateStore(tmp_path, "docs")
    first.lock()
    try:
        with pytest.raises(StateError, match="another run of connector 'docs' holds"):
            StateStore(tmp_path, "docs").lock()
    finally:
        first.release()
    again = StateStore(tmp_path, "docs")
    again.lock()  # free again
    again.release()


def test_progress_only_on_a_terminal() -> None:
    assert progress_printer(io.StringIO()) is None


def _source(path: Path, rows: range) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE IF EXISTS docs")
        con.execute(
            "CREATE TABLE docs AS SELECT i AS id, 'Doc ' || i AS title, 'body ' || i AS body, 'eng' AS department,"
            " ['u' || i || '@example.com'] AS users, NULL::VARCHAR AS groups_csv,"
            " TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS updated_at"
            f" FROM range({rows.start}, {rows.stop}) t(i)"
        )


def test_cli_exec_end_to_end_on_duckdb(tmp_path: Path) -> None:
    database = tmp_path / "source.duckdb"
    _source(database, range(1, 11))
    plan = make_plan((tmp_path / "out").as_uri(), acl_users="users", acl_groups="groups_csv")
    plan_path = tmp_path / "plan.json"
    plan_path.write_bytes(dumps(plan))
    env = dict(os.environ, SECRET_DOCS_DB=f"duckdb:///{database}")
    state = str(tmp_path / "state")

    def runtime(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "runtime", "exec", str(plan_path), "--state-dir", state, *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    dry = runtime("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run (nothing written)" in dry.stderr
    assert "new 10" in dry.stderr
    assert not (tmp_path / "state").exists()
    assert not (tmp_path / "out").exists()

    first = runtime("--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["status"] == "ok"
    assert report["counts"]["new"] == 10
    run_dir = Path(report["artifacts"].removeprefix("file://"))
    lines = (run_dir / "upserts.ndjson").read_text().splitlines()
    assert len(lines) == 10
    assert json.loads(lines[0])["aclInfo"]["readers"][0]["principals"][0]["userId"].endswith("@example.com")

    _source(database, range(1, 10))
    second = runtime()
    assert second.returncode == 0, second.stderr
    assert "deleted 1" in second.stderr
    assert "unchanged 9" in second.stderr
