"""The three-run scenarios against the real PostgreSQL and MariaDB, through `runtime.extract.open_extractor`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler.plan import DeleteGuard
from runtime.errors import SourceError
from tests.runtime.harness import Harness
from tests.runtime.sqltables import SqlTable

GUARD = DeleteGuard(max_delete_percent=20.0, max_delete_count=10_000, min_population=1000)
SERVERS = [pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mysql", marks=pytest.mark.mysql)]
SCENARIOS = [
    ("snapshot", "auto_delete_missing"),
    ("snapshot", "soft_delete_only"),
    ("snapshot", "never_delete"),
    ("incremental", "soft_delete_only"),
    ("incremental", "never_delete"),
]


@pytest.fixture
def table(request: pytest.FixtureRequest) -> SqlTable:
    kind = request.param
    url = request.getfixturevalue("pg_url" if kind == "postgres" else "mysql_url")
    conn = request.getfixturevalue("pg_conn" if kind == "postgres" else "mysql_conn")
    return SqlTable(kind, conn, url)


def harness(tmp_path: Path, table: SqlTable, kind: str, policy: str, **args: Any) -> Harness:
    if kind == "incremental":
        args.update(incremental=table.select() + " WHERE updated_at >= :watermark", watermark_field="updated_at")
    plan = table.plan((tmp_path / "out").as_uri(), kind=kind, policy=policy, guard=GUARD, **args)
    from runtime.extract import open_extractor

    h = Harness(tmp_path, plan, secret=table.url)
    h.opener = open_extractor  # type: ignore[attr-defined]
    return h


def run(h: Harness, **kwargs: Any) -> Any:
    return h.run(opener=h.opener, **kwargs)  # type: ignore[attr-defined]


@pytest.mark.parametrize("table", SERVERS, indirect=True)
@pytest.mark.parametrize(("kind", "policy"), SCENARIOS)
def test_three_runs(tmp_path: Path, table: SqlTable, kind: str, policy: str) -> None:
    h = harness(tmp_path, table, kind, policy)
    table.insert(range(1, 21))
    first = run(h)
    assert first.changes.new == 20
    docs = {d["id"]: d for d in h.upserts(first)}
    assert docs["3"]["aclInfo"]["readers"][0]["principals"] == [
        {"userId": "u3@example.com"},
        {"groupId": "staff"},
        {"groupId": "managers"},
    ]
    assert "aclInfo" not in docs["2"]

    table.update([3, 4], version=1)
    table.delete([19, 20])
    table.insert([21, 22])
    second = run(h)
    c = second.changes
    assert (c.new, c.changed) == (2, 2)
    assert h.upsert_ids(second) >= {"3", "4", "21", "22"}
    if kind == "incremental":
        assert (c.extracted, c.deleted, c.soft_deleted, c.missing_kept) == (4, 0, 0, 0)
    elif policy == "auto_delete_missing":
        assert h.deletes(second) == {"19", "20"}
    elif policy == "soft_delete_only":
        assert c.soft_deleted == 2
        marked = {d["id"] for d in h.upserts(second) if d["structData"]["sync_deleted"]}
        assert marked == {"19", "20"}
    else:
        assert c.missing_kept == 2
    if policy != "auto_delete_missing":
        assert h.deletes(second) == set()

    third = run(h)
    assert (third.changes.new, third.changes.changed, third.changes.deleted, third.changes.soft_deleted) == (0, 0, 0, 0)
    assert h.upsert_ids(third) == set()
    if kind == "incremental":
        assert third.changes.extracted == 1  # the boundary row, read again and recognised by id + hash
        assert third.watermark_after == second.watermark_after


@pytest.mark.postgres
@pytest.mark.parametrize(
    "boom",
    [
        ", 1 / (id - 5000) AS boom",  # an error after 5000 rows
        ", CASE WHEN id = 5000 THEN pg_terminate_backend(pg_backend_pid()) END AS boom",  # dropped connection
    ],
)
def test_postgres_failure_mid_stream_changes_nothing(tmp_path: Path, pg_conn: Any, pg_url: str, boom: str) -> None:
    table = SqlTable("postgres", pg_conn, pg_url)
    table.fill(8000)
    h = harness(tmp_path, table, "snapshot", "auto_delete_missing")
    first = run(h)
    assert first.changes.new == 8000
    before = h.snapshot_files()
    h.plan = table.plan((tmp_path / "out").as_uri(), snapshot=table.select(boom) + " ORDER BY id", guard=GUARD)
    with pytest.raises(SourceError):
        run(h)
    assert h.snapshot_files() == before


@pytest.mark.mysql
def test_mariadb_failure_mid_stream_changes_nothing(tmp_path: Path, mysql_conn: Any, mysql_url: str) -> None:
    table = SqlTable("mysql", mysql_conn, mysql_url)
    table.fill(8000)
    function = f"{table.name}_boom"
    with mysql_conn.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION {function}(n BIGINT) RETURNS INT DETERMINISTIC BEGIN"
            " IF n = 5000 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom at row 5000'; END IF;"
            " RETURN 0; END"
        )
    h = harness(tmp_path, table, "snapshot", "auto_delete_missing")
    run(h)
    before = h.snapshot_files()
    h.plan = table.plan(
        (tmp_path / "out").as_uri(), snapshot=table.select(f", {function}(id) AS boom") + " ORDER BY id", guard=GUARD
    )
    with pytest.raises(SourceError):
        run(h)
    assert h.snapshot_files() == before


@pytest.mark.parametrize("table", SERVERS, indirect=True)
def test_empty_result_from_a_full_table_trips_the_guard(tmp_path: Path, table: SqlTable) -> None:
    from runtime.errors import DeleteGuardTripped

    h = harness(tmp_path, table, "snapshot", "auto_delete_missing")
    table.insert(range(1, 6))
    run(h)
    table.delete(range(1, 6))
    with pytest.raises(DeleteGuardTripped, match="returned no records but 5 documents are known"):
        run(h)
