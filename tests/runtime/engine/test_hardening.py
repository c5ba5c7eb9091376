"""The runtime items of the hardening issue, each through the real engine: strict JSON, ACL arrays, memory,
policy switches, exact checkpoints, one-line errors, the guard's wording, explicit deletes and carried parts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from compiler.plan import DeleteGuard
from runtime.errors import DeleteGuardTripped, MappingError, SourceError, StateError
from runtime.run import ExecOptions, execute
from runtime.sources.sql import open_sql_pull
from tests.runtime.engine.pulls import JsonPull
from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import fields, make_plan

NO_FLOOR = DeleteGuard(max_delete_percent=100.0, max_delete_count=10**6, min_population=10**6)


def strict_lines(path: Path) -> list[dict[str, Any]]:
    """Parse NDJSON with a parser that refuses NaN and Infinity (RFC 8259 has neither)."""

    def refuse(token: str) -> float:
        raise ValueError(f"not JSON: {token}")

    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


def test_non_finite_floats_become_null_and_every_line_is_strict_json(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": [1, 2, 3],
            "title": ["a", "b", "c"],
            "score": pa.array([math.nan, math.inf, 1.5], pa.float64()),
            "ratios": pa.array([[1.0, -math.inf], None, [math.nan]], pa.list_(pa.float32())),
        }
    )
    h = Harness(
        tmp_path,
        make_plan(
            (tmp_path / "out").as_uri(),
            snapshot="SELECT id, title, score, ratios FROM t",
            content=fields("{{ title }}"),
            metadata=("score", "ratios"),
        ),
    )
    report = h.run(table)
    docs = {d["id"]: d["structData"] for d in strict_lines(h.run_dir(report) / "upserts.ndjson")}
    assert docs["1"]["score"] is None
    assert docs["2"]["score"] is None
    assert docs["3"]["score"] == 1.5
    assert docs["1"]["ratios"] == [1.0, None]
    assert docs["3"]["ratios"] == [None]


@pytest.mark.parametrize(
    ("value", "principals"),
    [
        ('["a@x.com", "b@x.com"]', ["a@x.com", "b@x.com"]),  # a jsonb / MariaDB JSON column arrives as text
        (' [ "a@x.com" ] ', ["a@x.com"]),
        ("a@x.com, b@x.com", ["a@x.com", "b@x.com"]),
        ("[]", []),
    ],
)
def test_acl_text_may_be_a_json_array(tmp_path: Path, value: str, principals: list[str]) -> None:
    table = docs_table([1]).set_column(4, "users", pa.array([value], pa.string()))
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri(), acl_users="users"))
    (doc,) = h.upserts(h.run(table))
    got = [p["userId"] for p in doc["aclInfo"]["readers"][0]["principals"]] if "aclInfo" in doc else []
    assert got == principals


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('["a@x.com", 2]', "not ARRAY"),
        ('[["a@x.com"]]', "not ARRAY"),
        ('["a@x.com", "b@x.com"', "not text that is not valid JSON"),
        ('{"a": 1}', "not a JSON object"),
    ],
)
def test_acl_text_that_is_not_principals_names_record_and_column(tmp_path: Path, value: str, reason: str) -> None:
    table = docs_table([1, 2]).set_column(4, "users", pa.array(["ok@x.com", value], pa.string()))
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri(), acl_users="users"))
    with pytest.raises(MappingError, match=rf"record 2: ACL field 'users' must be .*{reason}"):
        h.run(table)


def test_a_2d_array_acl_column_is_refused_naming_the_column(tmp_path: Path) -> None:
    table = docs_table([1]).set_column(4, "users", pa.array([[["a@x.com"]]], pa.list_(pa.list_(pa.string()))))
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri(), acl_users="users"))
    with pytest.raises(MappingError, match=r"ACL column 'users' is an array of list<item: string>"):
        h.run(table)


def test_large_documents_sync_within_a_bounded_memory_limit(tmp_path: Path) -> None:
    """1 MiB documents used to fail at a fixed 128 MB limit after 7 rows. Memory now follows the machine (and a
    setting), staging is bounded in bytes, and 100 MiB of documents sync in a 512 MB limit (the default floor)."""
    body = "x" * (1 << 20)
    table = docs_table(range(1, 101)).set_column(2, "body", pa.array([body] * 100, pa.string()))
    plan = make_plan((tmp_path / "out").as_uri(), policy="soft_delete_only")  # keeps each document in the state
    report = execute(
        plan,
        ExecOptions(state_dir=tmp_path / "state", memory_limit_mb=512),
        open_pull=lambda ctx: open_sql_pull(ctx, plan.source, _opener(table)),  # type: ignore[arg-type]
        resolve_secret=lambda s: "unused",
    )
    assert report.changes is not None
    assert report.changes.new == 100
    lines = strict_lines(tmp_path / "out" / "runs" / report.run_id / "upserts.ndjson")
    assert len(lines) == 100
    assert len(lines[0]["content"]["rawBytes"]) > 1 << 20


def test_running_out_of_memory_names_the_setting(tmp_path: Path) -> None:
    body = "x" * (64 << 20)  # one 64 MiB document cannot be rendered in 16 MB
    table = docs_table([1]).set_column(2, "body", pa.array([body], pa.string()))
    plan = make_plan((tmp_path / "out").as_uri())
    with pytest.raises(MappingError, match=r"out of its 16 MB memory limit .*--memory-limit"):
        execute(
            plan,
            ExecOptions(state_dir=tmp_path / "state", memory_limit_mb=16),
            open_pull=lambda ctx: open_sql_pull(ctx, plan.source, _opener(table)),  # type: ignore[arg-type]
            resolve_secret=lambda s: "unused",
        )


def _opener(table: pa.Table) -> Any:
    from tests.runtime.fakes import FakeSource

    return FakeSource(table, batch_rows=50).open


def test_switching_from_soft_delete_to_auto_delete_converges(tmp_path: Path) -> None:
    out = (tmp_path / "out").as_uri()
    h = Harness(tmp_path, make_plan(out, policy="soft_delete_only", guard=NO_FLOOR))
    h.run(docs_table(range(1, 11)))
    marked = h.run(docs_table(range(1, 9)))  # 9 and 10 soft-deleted: still in the data store, marked
    assert marked.changes is not None
    assert marked.changes.soft_deleted == 2
    h.plan = make_plan(out, policy="auto_delete_missing", guard=NO_FLOOR)
    switched = h.run(docs_table(range(1, 9)))
    assert switched.changes is not None
    assert switched.changes.deleted == 2
    assert h.deletes(switched) == {"9", "10"}
    assert set(h.state()) == {str(i) for i in range(1, 9)}


def test_the_guard_says_soft_delete_under_soft_delete_only(tmp_path: Path) -> None:
    guard = DeleteGuard(max_delete_percent=10.0, max_delete_count=10, min_population=1)
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri(), policy="soft_delete_only", guard=guard))
    h.run(docs_table(range(1, 11)))
    with pytest.raises(DeleteGuardTripped, match=r"this run would soft-delete 5 of 10 known documents"):
        h.run(docs_table(range(1, 6)))


def _duckdb_source(path: Path, column_type: str, values: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE OR REPLACE TABLE t (id BIGINT, title VARCHAR, wm {column_type})")
        for i, value in enumerate(values, 1):
            con.execute(f"INSERT INTO t VALUES (?, ?, CAST(? AS {column_type}))", [i, f"t{i}", value])


def _incremental_harness(tmp_path: Path, database: Path) -> Harness:
    plan = make_plan(
        (tmp_path / "out").as_uri(),
        policy="never_delete",
        kind="incremental",
        snapshot="SELECT id, title, wm FROM t",
        incremental="SELECT id, title, wm FROM t WHERE wm >= :watermark",
        watermark_field="wm",
        content=fields("{{ title }}"),
        metadata=(),
    )
    return Harness(tmp_path, plan, secret=f"duckdb:///{database}")


@pytest.mark.parametrize(
    ("column_type", "value"),
    [
        ("FLOAT", str(1 / 7)),
        ("DOUBLE", "0.30000000000000004"),
        ("HUGEINT", "170141183460469231731687303715884105"),
        ("DECIMAL(38, 0)", "12345678901234567890123456789"),
    ],
)
def test_a_checkpoint_binds_exactly_the_boundary_value(tmp_path: Path, column_type: str, value: str) -> None:
    """A row that shares the checkpoint's value, arriving later, is still read (>= with dedup)."""
    from runtime.extract import open_extractor

    database = tmp_path / "source.duckdb"
    _duckdb_source(database, column_type, [value])
    h = _incremental_harness(tmp_path, database)
    h.run(opener=open_extractor)
    _duckdb_source(database, column_type, [value, value])  # row 2 has the checkpoint's own value
    second = h.run(opener=open_extractor)
    assert second.changes is not None
    assert (second.changes.extracted, second.changes.new, second.changes.unchanged) == (2, 1, 1)
    third = h.run(opener=open_extractor)  # and the committed checkpoint is readable and comparable next time
    assert third.changes is not None
    assert third.changes.unchanged == 2


def test_a_type_change_of_the_watermark_column_is_one_clear_line(tmp_path: Path) -> None:
    from runtime.extract import open_extractor

    database = tmp_path / "source.duckdb"
    _duckdb_source(database, "BIGINT", ["5"])
    h = _incremental_harness(tmp_path, database)
    h.run(opener=open_extractor)
    _duckdb_source(database, "DATE", ["2024-01-01"])
    with pytest.raises((StateError, SourceError)) as failure:
        h.run(opener=open_extractor)
    assert "\n" not in str(failure.value)
    assert "LINE 1" not in str(failure.value)


def test_duckdb_errors_are_one_line_without_statement_context(tmp_path: Path) -> None:
    from runtime.extract import open_extractor

    database = tmp_path / "source.duckdb"
    _duckdb_source(database, "BIGINT", ["5"])
    plan = make_plan(
        (tmp_path / "out").as_uri(), snapshot="SELECT id, title, no_such_column FROM t", content=fields("x")
    )
    with pytest.raises(SourceError) as failure:
        Harness(tmp_path, plan, secret=f"duckdb:///{database}").run(opener=open_extractor)
    message = str(failure.value)
    assert "no_such_column" in message
    assert "\n" not in message
    assert "LINE 1" not in message
    assert "^" not in message


def _json_plan(tmp_path: Path, **args: Any) -> Any:
    args.setdefault("policy", "auto_delete_missing")
    return make_plan((tmp_path / "out").as_uri(), content=fields("{{ title }}"), metadata=(), guard=NO_FLOOR, **args)


def _run(tmp_path: Path, plan: Any, pull: JsonPull) -> Any:
    return execute(plan, ExecOptions(state_dir=tmp_path / "state"), open_pull=pull, resolve_secret=lambda s: "x")


def test_explicit_deletes_touch_only_known_documents(tmp_path: Path) -> None:
    plan = _json_plan(tmp_path)
    _run(tmp_path, plan, JsonPull([{"id": i, "title": f"t{i}"} for i in range(1, 6)]))
    report = _run(tmp_path, plan, JsonPull([], complete=False, deletes=["2", "4", "not-ours"]))
    assert report.changes.deleted == 2
    assert report.changes.unknown_deletes == 1
    deletes = (tmp_path / "out" / "runs" / report.run_id / "deletes.ndjson").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in deletes) == ["2", "4"]
    assert any("not documents of this connector" in s["reason"] for s in report.skipped)


def test_carried_parts_keep_their_documents_and_the_snapshot_complete(tmp_path: Path) -> None:
    plan = _json_plan(tmp_path)
    records = [{"id": i, "title": f"t{i}"} for i in range(1, 7)]
    parts = ["a.csv", "a.csv", "b.csv", "b.csv", "c.csv", "c.csv"]
    _run(tmp_path, plan, JsonPull(records, parts=parts))
    # b.csv unchanged (not re-read), c.csv gone, a.csv re-read with one record changed.
    again = _run(
        tmp_path,
        plan,
        JsonPull([records[0], {"id": 2, "title": "changed"}], parts=["a.csv", "a.csv"], carried=["b.csv"]),
    )
    c = again.changes
    assert (c.extracted, c.changed, c.unchanged, c.deleted) == (4, 1, 3, 2)
    deletes = (tmp_path / "out" / "runs" / again.run_id / "deletes.ndjson").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in deletes) == ["5", "6"]
