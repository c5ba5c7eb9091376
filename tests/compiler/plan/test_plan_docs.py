"""docs/plan-format.md documents every field of plan.schema.json, and the numbers it quotes are the lowering's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from compiler.lower import http, mapping, reconciliation

ROOT = Path(__file__).parents[3]
DOC = (ROOT / "docs" / "plan-format.md").read_text()
SCHEMA: dict[str, Any] = json.loads((ROOT / "compiler" / "schema" / "plan.schema.json").read_text())


def _field_names() -> set[str]:
    names = set(SCHEMA["properties"])
    for definition in SCHEMA["$defs"].values():
        names |= set(definition.get("properties", ()))  # a oneOf of shapes has none of its own
    return names


def test_every_field_is_documented() -> None:
    words = set(re.findall(r"[A-Za-z0-9]+", DOC))
    assert sorted(_field_names() - words) == []


def test_quoted_defaults_match_the_lowering() -> None:
    assert f"defaults {reconciliation.DEFAULT_MAX_DELETE_PERCENT:g} %" in DOC
    assert f"{reconciliation.DEFAULT_MAX_DELETE_COUNT:,}" in DOC
    assert f"`{reconciliation.SOFT_DELETE_FLAG_FIELD}` and `{reconciliation.SOFT_DELETE_TIME_FIELD}`" in DOC
    assert f"first {mapping.ID_FALLBACK_HASH_CHARS} hex digits" in DOC
    assert f"at most {mapping.ID_FALLBACK_PREFIX_LENGTH} characters" in DOC
    retry = http.RETRY
    assert f"attempts {retry.attempts}" in DOC
    assert f"up to {retry.max_backoff_seconds:g} s" in DOC
    assert ", ".join(str(s) for s in retry.statuses) in DOC
    assert f"capped at {http.CONNECT_TIMEOUT_CAP_SECONDS:g} s" in DOC
