"""State edge cases: a changed hash algorithm, a policy switch to soft deletes, a full disk."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from runtime.deliver import LineWriter
from runtime.errors import StateError
from runtime.stage import staging
from runtime.state import StateStore
from runtime.state.store import hold_known
from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import make_plan


def test_a_different_hash_algorithm_reupserts_everything_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri()))
    h.run(docs_table(range(1, 6)))
    with duckdb.connect(str(h.state_path())) as con:
        con.execute("UPDATE meta SET value = 'duckdb-hash:0.1' WHERE key = 'hash_algorithm'")
    with monkeypatch.context() as patch:  # no record can match a known hash: staging joins nothing
        patch.setattr(staging, "hold_known", lambda con: pytest.fail("known was copied to be matched"))
        again = h.run(docs_table(range(1, 6)))
    assert again.changes is not None
    assert (again.changes.changed, again.changes.unchanged) == (5, 0)
    assert any("duckdb-hash:0.1" in note for note in again.notes)
    third = h.run(docs_table(range(1, 6)))
    assert third.changes is not None
    assert third.changes.unchanged == 5


def test_switching_to_soft_delete_skips_documents_it_cannot_mark(tmp_path: Path) -> None:
    out = (tmp_path / "out").as_uri()
    h = Harness(tmp_path, make_plan(out, policy="never_delete"))
    h.run(docs_table(range(1, 6)))
    h.plan = make_plan(out, policy="soft_delete_only")
    report = h.run(docs_table(range(1, 5)))  # 5 vanished; its JSON was never kept under never_delete
    assert report.changes is not None
    assert report.changes.soft_deleted == 0
    assert report.changes.soft_unmarkable == 1
    assert "no stored copy" in report.skipped[0]["reason"]
    assert h.state()["5"] is False  # left as it is


def test_a_full_disk_is_a_state_error() -> None:
    writer = LineWriter(Path("/dev/full"))
    writer.write(pa.array(["x" * 100_000 + "\n"] * 10))
    with pytest.raises(StateError, match="cannot write /dev/full"):
        writer.close()


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    if con.execute("SELECT 1 FROM duckdb_views() WHERE database_name = 'memory' AND view_name = ?", [name]).fetchall():
        return "view"
    if con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE database_name = 'memory' AND table_name = ?", [name]
    ).fetchall():
        return "table"
    return None


def test_known_is_read_from_the_state_file_until_held_in_memory(tmp_path: Path) -> None:
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri()))
    h.run(docs_table(range(1, 6)))
    store = StateStore(h.state_dir, h.plan.name)
    with duckdb.connect() as con:
        store.attach(con, read_only=False)
        rows = "SELECT id, idh, hash, deleted, part FROM known ORDER BY id"
        assert _kind(con, "known") == "view"
        as_read = con.execute(rows).fetchall()
        assert [row[0] for row in as_read] == ["1", "2", "3", "4", "5"]
        assert all(row[1] == con.execute("SELECT hash(?)", [row[0]]).fetchall()[0][0] for row in as_read)
        hold_known(con)
        assert _kind(con, "known") == "table"
        con.execute("DELETE FROM st.documents WHERE id = '1'")  # the state changes: the copy does not
        assert con.execute(rows).fetchall() == as_read
        hold_known(con)  # once only
        assert con.execute(rows).fetchall() == as_read


def test_a_run_whose_records_can_match_holds_known_and_others_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[str | None] = []
    original = staging.hold_known

    def spy(con: duckdb.DuckDBPyConnection) -> None:
        held.append(_kind(con, "known"))
        original(con)

    monkeypatch.setattr(staging, "hold_known", spy)
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri(), policy="never_delete"))
    h.run(docs_table(range(1, 6)))
    assert held == []  # a first run: nothing known, nothing to match
    h.run(docs_table(range(1, 6)))
    assert held == ["view"]
    h.run(docs_table([]))
    assert held == ["view"]  # nothing staged: the view served the diff
