""" "json" records through the real engine: dotted paths, JSON-typed metadata, ACL arrays, Jinja, watermarks."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import MappingError
from runtime.report import RunReport
from runtime.run import ExecOptions, execute
from tests.runtime.engine.pulls import JsonPull
from tests.runtime.planbuilder import fields, jinja, make_plan

RECORDS: list[dict[str, Any]] = [
    {
        "id": 1,
        "title": "First",
        "body": "hello",
        "author": {"email": "a@x.com", "name": "Ann"},
        "tags": ["x", "y"],
        "score": 1.5,
        "readers": ["u1@x.com", " ", "u2@x.com"],
        "groups": "g1, g2",
        "updated_at": "2024-01-02T00:00:00Z",
    },
    {"id": "b", "title": None, "author": None, "readers": None, "updated_at": "2024-01-01T00:00:00Z"},
]


def plan(tmp_path: Path, **args: Any) -> Any:
    args.setdefault(
        "content", jinja("{{ title }}: {{ body }} <{{ author.email if author else '' }}>", ("author", "body", "title"))
    )
    args.setdefault("metadata", ("author.name", "tags", "score"))
    args.setdefault("acl_users", "readers")
    args.setdefault("acl_groups", "groups")
    return make_plan((tmp_path / "out").as_uri(), **args)


def run(tmp_path: Path, pull: JsonPull, the_plan: Any) -> RunReport:
    return execute(
        the_plan, ExecOptions(state_dir=tmp_path / "state"), open_pull=pull, resolve_secret=lambda s: "unused"
    )


def upserts(tmp_path: Path, report: RunReport) -> dict[str, dict[str, Any]]:
    path = tmp_path / "out" / "runs" / report.run_id / "upserts.ndjson"
    return {d["id"]: d for d in map(json.loads, path.read_text().splitlines())}


def content(doc: dict[str, Any]) -> str:
    return base64.b64decode(doc["content"]["rawBytes"]).decode()


def test_dotted_paths_json_types_and_acl_arrays(tmp_path: Path) -> None:
    docs = upserts(tmp_path, run(tmp_path, JsonPull(RECORDS), plan(tmp_path)))
    first = docs["1"]
    assert content(first) == "First: hello <a@x.com>"
    assert first["structData"] == {
        "title": "First",
        "uri": "https://example.com/docs/1",
        "author.name": "Ann",
        "tags": ["x", "y"],
        "score": 1.5,
    }
    principals = first["aclInfo"]["readers"][0]["principals"]
    assert principals == [{"userId": "u1@x.com"}, {"userId": "u2@x.com"}, {"groupId": "g1"}, {"groupId": "g2"}]
    second = docs["b"]
    assert content(second) == ":  <>"  # absent and null keys read as empty, like NULL columns
    assert second["structData"]["author.name"] is None
    assert "aclInfo" not in second


def test_fields_templates_read_absent_keys_as_empty(tmp_path: Path) -> None:
    docs = upserts(tmp_path, run(tmp_path, JsonPull(RECORDS), plan(tmp_path, content=fields("{{ title }}|{{ body }}"))))
    assert content(docs["1"]) == "First|hello"
    assert content(docs["b"]) == "|"


def test_jinja_gets_the_parsed_record(tmp_path: Path) -> None:
    the_plan = plan(tmp_path, content=jinja("{{ author.name | default('?') if author else 'anon' }}", ("author",)))
    docs = upserts(tmp_path, run(tmp_path, JsonPull(RECORDS), the_plan))
    assert content(docs["1"]) == "Ann"
    assert content(docs["b"]) == "anon"


@pytest.mark.parametrize(
    ("readers", "shown"),
    [({"not": "a list"}, "OBJECT"), ([1, 2], "ARRAY"), (7, "UBIGINT")],
)
def test_an_acl_value_that_is_not_principals_names_the_record(tmp_path: Path, readers: object, shown: str) -> None:
    bad = [{"id": "r9", "title": "t", "readers": readers}]
    with pytest.raises(MappingError, match=rf"record r9: ACL field 'readers' must be .* not {shown}"):
        run(tmp_path, JsonPull(bad), plan(tmp_path))


def test_a_record_without_its_id_fails_the_run_naming_it(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"empty or missing id: \{\"title\":\"no id\"\}"):
        run(tmp_path, JsonPull([{"title": "no id"}]), plan(tmp_path))


def test_iso_timestamp_watermark_compares_as_instants_and_keeps_its_text(tmp_path: Path) -> None:
    the_plan = plan(
        tmp_path, kind="incremental", policy="soft_delete_only", incremental="unused", watermark_field="updated_at"
    )
    first = run(tmp_path, JsonPull(RECORDS, complete=False), the_plan)
    assert first.watermark_after == {"field": "updated_at", "type": "TIMESTAMPTZ", "value": "2024-01-02T00:00:00Z"}
    later = [{**RECORDS[1], "updated_at": "2024-01-02T01:00:00+01:00"}]  # the same instant, written otherwise
    second_pull = JsonPull(later, complete=False)
    second = run(tmp_path, second_pull, the_plan)
    assert second_pull.contexts[0].checkpoint is not None
    assert second_pull.contexts[0].checkpoint.text == "2024-01-02T00:00:00Z"
    assert second.watermark_after == first.watermark_after  # not newer: the checkpoint keeps its own text
