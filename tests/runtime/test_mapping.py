"""Records -> documents: ids, templates (SQL and Jinja paths), ACLs, metadata, content."""

from __future__ import annotations

import base64
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.plan import document_id
from runtime.errors import MappingError
from runtime.map.ids import document_id_sql
from tests.runtime.harness import Harness
from tests.runtime.planbuilder import ID_RULE, fields, jinja, make_plan

_CON = duckdb.connect()


def sql_ids(raws: list[str]) -> list[str]:
    _CON.register("raws", pa.table({"raw_id": pa.array(raws, pa.string())}))
    return [row[0] for row in _CON.sql(f"SELECT {document_id_sql('raw_id', ID_RULE)} FROM raws").fetchall()]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=200), min_size=1, max_size=20))
def test_sql_document_id_equals_the_plan_contract(raws: list[str]) -> None:
    raws = [r for r in raws if "\x00" not in r] or ["x"]
    assert sql_ids(raws) == [document_id(r, ID_RULE) for r in raws]


def test_document_id_examples() -> None:
    long = "a" * 129
    raws = ["emp-42", "Ünïcode / path", long, "a b", "a_b", "///"]
    got = sql_ids(raws)
    assert got[0] == "emp-42"
    assert got[1].startswith("n-code-path-")
    assert len(got[1]) == len("n-code-path-") + 40
    assert got[2] != long
    assert len(got[2]) <= 128
    assert got[3] != got[4]  # "a b" and "a_b" never collide
    assert got[5] == document_id("///", ID_RULE)


def run_one(tmp_path: Path, table: pa.Table, **plan_args: object) -> list[dict[str, object]]:
    h = Harness(tmp_path, make_plan((tmp_path / "out").as_uri(), **plan_args))  # type: ignore[arg-type]
    return h.upserts(h.run(table))


def test_document_shape_acl_lists_and_csv_strings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": ["a/1", "b"],
            "title": ["First", None],
            "body": ["hello", None],
            "department": ["eng", None],
            "users": [["x@example.com", " ", "y@example.com"], None],
            "groups_csv": ["g1, g2,,", ""],
            "updated_at": [1, 2],
        }
    )
    docs = {d["id"]: d for d in run_one(tmp_path, table, acl_users="users", acl_groups="groups_csv")}
    first = docs[document_id("a/1", ID_RULE)]
    assert first["structData"] == {"title": "First", "uri": "https://example.com/docs/a/1", "department": "eng"}
    assert base64.b64decode(first["content"]["rawBytes"]).decode() == "eng: hello"  # type: ignore[index]
    assert first["content"]["mimeType"] == "text/plain"  # type: ignore[index]
    assert first["aclInfo"] == {
        "readers": [
            {
                "principals": [
                    {"userId": "x@example.com"},
                    {"userId": "y@example.com"},
                    {"groupId": "g1"},
                    {"groupId": "g2"},
                ]
            }
        ]
    }
    second = docs["b"]
    assert "aclInfo" not in second  # no principals: no ACL block at all
    assert second["structData"] == {"title": "", "uri": "https://example.com/docs/b", "department": None}
    assert base64.b64decode(second["content"]["rawBytes"]).decode() == ": "  # type: ignore[index]


def test_metadata_keeps_types_and_unicode(tmp_path: Path) -> None:
    table = pa.table({"id": [1], "title": ["Ünïcode ✓"], "n": [42], "ok": [True], "score": [1.5]})
    docs = run_one(
        tmp_path,
        table,
        snapshot="SELECT id, title, n, ok, score FROM t",
        content=fields("{{ title }}"),
        uri=fields("https://x/{{ id }}"),
        metadata=("n", "ok", "score"),
    )
    assert docs[0]["structData"] == {"title": "Ünïcode ✓", "uri": "https://x/1", "n": 42, "ok": True, "score": 1.5}
    assert base64.b64decode(docs[0]["content"]["rawBytes"]).decode() == "Ünïcode ✓"  # type: ignore[index]


def test_jinja_templates_run_sandboxed_per_record(tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2], "title": ["a", "b"], "body": ["x", None], "department": ["eng", "ops"]})
    docs = run_one(
        tmp_path,
        table,
        content=jinja("{{ title | upper }}{% if body %}: {{ body }}{% endif %}", ("title", "body")),
        uri=jinja("https://x/{{ department }}/{{ id }}", ("department", "id")),
    )
    by_id = {d["id"]: d for d in docs}
    assert base64.b64decode(by_id["1"]["content"]["rawBytes"]).decode() == "A: x"  # type: ignore[index]
    assert base64.b64decode(by_id["2"]["content"]["rawBytes"]).decode() == "B"  # type: ignore[index]
    assert by_id["2"]["structData"]["uri"] == "https://x/ops/2"  # type: ignore[index]


def test_jinja_failure_names_the_record(tmp_path: Path) -> None:
    table = pa.table({"id": [7, 8], "title": ["a", "b"], "body": ["x", "y"], "department": ["eng", "ops"]})
    with pytest.raises(MappingError, match=r"record 8: the content template failed: .*division by zero"):
        run_one(tmp_path, table, content=jinja("{{ 1 / (id - 8) }}", ("id",)))


def test_jinja_sandbox_blocks_attribute_escapes(tmp_path: Path) -> None:
    table = pa.table({"id": [1], "title": ["a"], "body": ["x"], "department": ["eng"]})
    with pytest.raises(MappingError, match="record 1: the content template failed: SecurityError"):
        run_one(tmp_path, table, content=jinja("{{ title.__class__.__mro__ }}", ("title",)))


def test_changed_mapping_reupserts_everything(tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2], "title": ["a", "b"], "body": ["x", "y"], "department": ["eng", "ops"]})
    out = (tmp_path / "out").as_uri()
    h = Harness(tmp_path, make_plan(out))
    h.run(table)
    assert h.run(table).changes.unchanged == 2  # type: ignore[union-attr]
    h.plan = make_plan(out, content=fields("{{ body }}"))
    report = h.run(table)
    assert report.changes is not None
    assert report.changes.changed == 2
