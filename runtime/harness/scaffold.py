"""`runtime test --scaffold CONNECTOR`: a starter case with two runs, filled in by running it.

The given rows are shaped by what the connector reads (a SQL query's selected columns and its FROM table; the
mapping's fields for the other modes): two records in the first run; in the second, the first one edited and the
second one gone, so the case exercises an update and the delete policy. The expectations are then written by
running the case (`--update`), so the starter passes and shows what the connector produces today: review it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, assert_never

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from compiler.plan import FileSource, HttpSource, Plan, PushSource, SqlSource
from runtime.errors import ConfigError
from runtime.harness.given.sql import DIALECTS

HEADER = "# yaml-language-server: $schema=../../../compiler/schema/connector-case.schema.json\n"


def _fields(plan: Plan) -> list[str]:
    mapping = plan.mapping
    names = [mapping.id.field, mapping.title_field, mapping.acl_users_field, mapping.acl_groups_field]
    for template in (mapping.content, mapping.uri):
        if template is not None:
            names += list(template.variables)
    names += list(mapping.metadata_fields)
    names.append(plan.extraction.watermark_field)
    unique: dict[str, None] = {}
    for name in names:
        if name:
            unique.setdefault(name, None)
    return list(unique)


def sample(plan: Plan, fields: list[str], n: int, edited: bool = False) -> dict[str, Any]:
    """A plausible record: the id a number, ACL fields lists of principals, the watermark a timestamp."""
    mapping = plan.mapping
    record: dict[str, Any] = {}
    for name in fields:
        if name == mapping.id.field:
            value: Any = n
        elif name == mapping.acl_users_field:
            value = [f"user{n}@example.com"]
        elif name == mapping.acl_groups_field:
            value = [f"group{n}@example.com"]
        elif name == plan.extraction.watermark_field:
            value = dt.datetime(2024, 1, 1 + n, 9, 0, 0) + (dt.timedelta(days=10) if edited else dt.timedelta())
        else:
            value = f"{name} {n}" + (" (edited)" if edited else "")
        record[name] = value
    return record


def _flow(record: dict[str, Any]) -> str:
    """A record as a YAML flow mapping; timestamps unquoted, so YAML (and then DuckDB) types them."""

    def value(v: Any) -> str:
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else json.dumps(v)

    return "{" + ", ".join(f"{json.dumps(k)}: {value(v)}" for k, v in record.items()) + "}"


def _sql_tables(source: SqlSource) -> list[str]:
    try:
        tree = sqlglot.parse_one(source.snapshot_statement, read=DIALECTS.get(source.provider, source.dialect))
    except ParseError:
        return ["source_table"]
    names = [".".join(p for p in (t.db, t.name) if p) for t in tree.find_all(exp.Table)]
    return list(dict.fromkeys(names)) or ["source_table"]


def scaffold_text(plan: Plan) -> str:
    """The starter case (expectations still empty)."""
    source = plan.source
    fields = _fields(plan)
    if isinstance(source, SqlSource):
        fields = list(source.columns or fields)
    first = [sample(plan, fields, 1), sample(plan, fields, 2)]
    second = [sample(plan, fields, 1, edited=True)]

    def rows(records: list[dict[str, Any]]) -> str:
        return "\n".join(f"          - {_flow(r)}" for r in records)

    if isinstance(source, SqlSource):
        tables = _sql_tables(source)
        note = f"  # the query reads {', '.join(tables)}: split the columns between them\n" if len(tables) > 1 else ""
        given = [f"      tables:\n{note}        {tables[0]}:\n{rows(r)}" for r in (first, second)]
    elif isinstance(source, HttpSource):
        given = [f"      records:\n{rows(r).replace('          - ', '        - ')}" for r in (first, second)]
    elif isinstance(source, PushSource):
        upserts = [{"op": "UPSERT", "record": r} for r in first]
        delete = {"op": "DELETE", "id": "2"}
        pushes = [[f"events: {json.dumps(upserts, default=str)}"]]
        if plan.reconciliation.delete_policy == "never_delete":  # the receiver refuses a DELETE at the door
            pushes.append(
                [
                    f"events: {json.dumps([{'op': 'UPSERT', 'record': second[0]}], default=str)}",
                    f"events: {json.dumps([delete])}\n          expectStatus: 422  # never_delete: DELETE is refused",
                ]
            )
        else:
            pushes.append([f"events: {json.dumps([{'op': 'UPSERT', 'record': second[0]}, delete], default=str)}"])
        given = ["      pushes:\n" + "\n".join(f"        - {push}" for push in run) for run in pushes]
    elif isinstance(source, FileSource):
        given = [
            "      files:\n"
            + "\n".join(
                f"        doc-{r[plan.mapping.id.field]}.ndjson: '{json.dumps(r, default=str)}'" for r in records
            )
            for records in (first, second)
        ]
    else:
        assert_never(source)
    runs = "".join(
        f"  - name: {name}\n    given:\n{g}\n    expect:\n      upserted: []\n"
        for name, g in zip(("first sync", "one record edited, one removed"), given, strict=True)
    )
    return (
        f"{HEADER}connector: {plan.name}\n"
        f"description: starter case written by `runtime test --scaffold`; review the values and expectations\n"
        f"runs:\n{runs}"
    )


def write_scaffold(plan: Plan, root: Path) -> Path:
    path = root / "tests" / "connectors" / plan.name / "starter.yaml"
    if path.exists():
        raise ConfigError(f"{path} exists; edit it, or remove it to scaffold again")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scaffold_text(plan), encoding="utf-8")
    return path
