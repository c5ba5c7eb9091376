"""What changed between two plans (`compiler diff`), one line per changed field, for review in pull requests.

Fields are named by JSON pointer into `plan.json`. Lists of scalars (columns, statuses, metadata fields) compare
as one value; lists of objects (inputs, secrets) compare item by item. Changes that can delete data or move it
somewhere else are flagged with `!` and listed first, so a reviewer cannot miss them.
"""

from __future__ import annotations

import json
from typing import Any

from compiler.plan import Plan, to_data

SENSITIVE = (
    "/reconciliation/",
    "/extraction/kind",
    "/target/",
    "/ingestionEnabled",
    "/output/",
    "/mode",
    "/source/snapshotStatement",
    "/source/incrementalStatement",
    "/source/folder",
    "/source/storage",
    "/source/glob",
    "/mapping/id/",
)
"""Pointer prefixes whose changes can delete documents, re-key them, or send them elsewhere."""
IGNORED = ("/planHash",)
"""Follows from every other change; shown in the header instead."""

_LONG = 60


def _flatten(data: Any, pointer: str, out: dict[str, Any]) -> None:
    if isinstance(data, dict):
        for key in sorted(data):
            _flatten(data[key], f"{pointer}/{key}", out)
    elif isinstance(data, list) and any(isinstance(item, dict) for item in data):
        for index, item in enumerate(data):
            _flatten(item, f"{pointer}/{index}", out)
    else:
        out[pointer] = data


def flatten(plan: Plan) -> dict[str, Any]:
    """Pointer -> value of every leaf of the plan's JSON data."""
    out: dict[str, Any] = {}
    _flatten(to_data(plan), "", out)
    return out


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sensitive(pointer: str) -> bool:
    return any(pointer == p.rstrip("/") or pointer.startswith(p) for p in SENSITIVE)


def _change(pointer: str, old: Any, new: Any, missing: object) -> list[str]:
    mark = "!" if _sensitive(pointer) else " "
    if old is missing:
        return [f"{mark} + {pointer}: {_show(new)}"]
    if new is missing:
        return [f"{mark} - {pointer}: {_show(old)}"]
    old_text, new_text = _show(old), _show(new)
    if len(old_text) + len(new_text) <= _LONG:
        return [f"{mark} ~ {pointer}: {old_text} -> {new_text}"]
    return [f"{mark} ~ {pointer}:", f"      - {old_text}", f"      + {new_text}"]


def diff_plans(old: Plan, new: Plan) -> list[str]:
    """Changed fields, sensitive ones first, each group in pointer order. Empty when the plans are equal."""
    before, after = flatten(old), flatten(new)
    missing = object()
    pointers = sorted((set(before) | set(after)) - set(IGNORED))
    changed = [p for p in pointers if before.get(p, missing) != after.get(p, missing)]
    ordered = [p for p in changed if _sensitive(p)] + [p for p in changed if not _sensitive(p)]
    lines: list[str] = []
    for pointer in ordered:
        lines += _change(pointer, before.get(pointer, missing), after.get(pointer, missing), missing)
    return lines


def render_diff(old: Plan, new: Plan, old_label: str, new_label: str) -> str:
    """A header naming both plans and their hashes, the changes, and a one-line count."""
    lines = [f"--- {old_label}  ({old.name}, {old.plan_hash})", f"+++ {new_label}  ({new.name}, {new.plan_hash})"]
    changes = diff_plans(old, new)
    if not changes:
        return "\n".join([*lines, "no changes"]) + "\n"
    flagged = sum(1 for line in changes if line.startswith("!"))
    count = sum(1 for line in changes if line[2] in "+-~")
    summary = f"{count} field{'s' if count != 1 else ''} changed"
    if flagged:
        summary += f", {flagged} flagged '!' (can delete, re-key or redirect documents: review carefully)"
    return "\n".join([*lines, *changes, summary]) + "\n"
