"""Shared workspaces (the harness's): one DuckDB database for runs in turn, left empty after each run."""

from __future__ import annotations

from pathlib import Path

from runtime.stage import FreshWorkspaces, SharedWorkspaces


def tables(con: object) -> list[tuple[str, str]]:
    return con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 2").fetchall()  # type: ignore[attr-defined]


def test_a_run_leaves_nothing_for_the_next(tmp_path: Path) -> None:
    workspaces = SharedWorkspaces()
    con = workspaces.open(tmp_path, 512)
    con.execute("CREATE TABLE staged (id INT)")
    con.cursor().execute("CREATE TABLE keys (id INT)")  # a worker thread's cursor: the same default catalog
    con.execute("CREATE VIEW v AS SELECT * FROM staged")
    con.execute(f"ATTACH '{tmp_path / 'state.duckdb'}' AS st")
    con.execute("CREATE TABLE st.documents (id INT)")
    assert [name for _, name in tables(con)] == ["documents", "keys", "staged"]
    workspaces.close(con)

    again = workspaces.open(tmp_path, 512)
    assert tables(again) == []
    assert again.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone() == (0,)
    again.execute(f"ATTACH '{tmp_path / 'state.duckdb'}' AS st")  # detached by close: attachable again
    assert again.execute("SELECT count(*) FROM st.documents").fetchone() == (0,)
    again.execute("CREATE TABLE staged (id INT)")  # the name is free again
    workspaces.close(again)


def test_settings_are_the_runs_own(tmp_path: Path) -> None:
    workspaces = SharedWorkspaces()
    seen = []
    for limit in (512, 2048):
        con = workspaces.open(tmp_path, limit)
        seen.append(con.execute("SELECT current_setting('memory_limit')").fetchone())
        workspaces.close(con)
    assert seen == [("488.2 MiB",), ("1.9 GiB",)]  # DuckDB shows decimal megabytes in binary units


def test_fresh_workspaces_are_separate_databases(tmp_path: Path) -> None:
    workspaces = FreshWorkspaces()
    first = workspaces.open(tmp_path, 512)
    first.execute("CREATE TABLE staged (id INT)")
    second = workspaces.open(tmp_path, 512)
    assert tables(second) == []
    workspaces.close(first)
    workspaces.close(second)
