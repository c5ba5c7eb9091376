"""Every integer `validate` accepts fits in a plan: the schema bounds each one by the plan's 64-bit integers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plan_fixtures import connector, lowered

from compiler.plan import dumps, loads

SCHEMA = Path(__file__).parents[3] / "compiler" / "schema" / "connector.schema.json"
INT64_MAX = 2**63 - 1


def _integer_fields(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            yield pointer, node
        for key, value in node.items():
            yield from _integer_fields(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_fields(value, f"{pointer}/{index}")


def test_every_integer_field_has_a_64_bit_maximum() -> None:
    fields = list(_integer_fields(json.loads(SCHEMA.read_text())))
    assert len(fields) >= 5  # batchSize, maxPages, watermarkInitial, maxDeleteCount, minPopulation
    unbounded = [pointer for pointer, node in fields if not isinstance(node.get("maximum"), int)]
    assert unbounded == []
    too_large = [pointer for pointer, node in fields if node["maximum"] > INT64_MAX]
    assert too_large == []


def test_the_largest_accepted_values_build_into_a_loadable_plan() -> None:
    data = connector("sql_pull")
    data["spec"]["reconciliation"] = {
        "deletePolicy": "auto_delete_missing",
        "deleteGuard": {"maxDeleteCount": INT64_MAX, "minPopulation": INT64_MAX},
    }
    plan = lowered(data)
    assert loads(dumps(plan)).reconciliation.delete_guard.max_delete_count == INT64_MAX
