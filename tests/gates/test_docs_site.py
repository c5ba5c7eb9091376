"""The docs site builds with `mkdocs build --strict`, and the schema works with the YAML language server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from gate_helpers import ROOT

CONNECTORS = sorted((ROOT / "connectors").glob("*.yaml"))
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<path>\S+)$")

# JSON Schema keywords the YAML language server implements fully (draft-07); later drafts are only partly supported
# there, so the connector schema sticks to these (plus annotations) while declaring 2020-12.
DRAFT7_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "uniqueItems", "default", "examples", "allOf", "if", "then", "else",
}  # fmt: skip


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site/connector-authoring/index.html").is_file()
    assert (tmp_path / "site/connector-field-reference/index.html").is_file()


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda p: p.name)
def test_connector_modeline_points_at_the_schema(connector: Path) -> None:
    first = connector.read_text(encoding="utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{connector.name}: first line is not a yaml-language-server modeline"
    assert (connector.parent / match["path"]).resolve() == (ROOT / "compiler/schema/connector.schema.json").resolve()


def _keywords(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("x-"):
                out.add(key)
            if key in {"properties", "$defs"}:
                for child in value.values():
                    _keywords(child, out)
            elif key not in {"examples", "default", "enum", "const", "required"}:
                _keywords(value, out)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, out)
    return out


def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "compiler/schema/connector.schema.json").read_text(encoding="utf-8"))
    return data


def test_schema_uses_only_keywords_the_yaml_language_server_knows() -> None:
    assert _keywords(_schema(), set()) - DRAFT7_KEYWORDS == set()


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda p: p.name)
def test_editor_validation_accepts_the_examples(connector: Path) -> None:
    # What an editor does: validate the loaded YAML with a draft-07 validator (and with 2020-12, as declared).
    data = yaml.safe_load(connector.read_text(encoding="utf-8"))
    for validator in (jsonschema.Draft7Validator, jsonschema.Draft202012Validator):
        errors = list(validator(_schema()).iter_errors(data))
        assert errors == [], [e.message for e in errors]


def test_editor_validation_flags_a_field_of_another_mode() -> None:
    data = yaml.safe_load((ROOT / "connectors/support-push.yaml").read_text(encoding="utf-8"))
    data["spec"]["schedule"] = "0 * * * *"
    data["spec"]["source"]["quey"] = "SELECT 1"
    for validator in (jsonschema.Draft7Validator, jsonschema.Draft202012Validator):
        messages = [e.message for e in validator(_schema()).iter_errors(data)]
        assert any("quey" in m for m in messages), messages
        assert any("schedule" in m or "False schema" in m for m in messages), messages
