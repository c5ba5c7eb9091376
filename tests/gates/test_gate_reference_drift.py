"""The generated field reference: complete, true to the schema, and guarded by the drift gate."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from gate_helpers import ROOT, edit, run_script

from compiler.check.codes import CODES
from compiler.cli import main as compiler_main
from compiler.emit.reference import load_schema, render_diagnostics, render_field_reference, rule_docs

FIX = "python scripts/check_connector_reference_drift.py --fix"


def _schema_paths(schema: dict[str, Any]) -> set[str]:
    """Every property path of the schema, walked independently of the generator (refs and mode branches)."""
    defs = schema["$defs"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = {**defs[node["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    paths: set[str] = set()

    def walk(node: dict[str, Any], prefix: str) -> None:
        node = resolve(node)
        for name, child in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            paths.add(path)
            if isinstance(child, dict):
                walk(child, path + ".")
        for branch in node.get("allOf", []):
            for name, child in branch.get("then", {}).get("properties", {}).items():
                if isinstance(child, dict):
                    walk(child, f"{prefix}{name}.")

    walk(schema, "")
    return paths


def _section(page: str, anchor: str) -> str:
    """The text of one field's section, from its heading to the next heading."""
    match = re.search(rf"^### .*\{{ #{re.escape(anchor)} \}}\n(.*?)(?=^#)", page, re.M | re.S)
    assert match, f"no section with anchor {anchor!r}"
    return match.group(1)


def test_every_schema_field_has_a_section() -> None:
    schema = load_schema()
    page = render_field_reference(schema)
    headings = set(re.findall(r"^### `([^`]+)`", page, re.M))
    missing = _schema_paths(schema) - headings
    assert not missing, f"fields without a reference section: {sorted(missing)}"
    assert len(_schema_paths(schema)) > 50


def test_conditional_requirements_per_mode() -> None:
    page = render_field_reference(load_schema())
    assert "- **Required:** yes, when `spec.mode` is `sql_pull`" in _section(page, "spec-source-query--sql-pull")
    assert "- **Required:** yes, when `spec.mode` is `rest_pull`" in _section(page, "spec-source-url--rest-pull")
    schedule = _section(page, "spec-schedule")
    assert "yes, when `spec.mode` is `sql_pull`, `rest_pull` or `file_pull`" in schedule
    assert "not allowed when `spec.mode` is `rest_push`" in schedule
    assert "- **Required:** no" in _section(page, "spec-source-watermarkfield--sql-pull")
    assert "- **Required:** yes, when `spec.source.oauth` is set" in _section(
        page, "spec-source-oauth-tokenurl--rest-pull"
    )
    assert "- **Modes:** `rest_pull`" in _section(page, "spec-source-oauth-tokenurl--rest-pull")


def test_defaults_limits_values_examples_and_planned_providers() -> None:
    page = render_field_reference(load_schema())
    batch = _section(page, "spec-source-batchsize--sql-pull")
    assert "- **Default:** `50000`" in batch
    assert "value 100 to 1000000" in batch
    name = _section(page, "metadata-name")
    assert "length 1 to 63" in name
    assert "matches `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`" in name
    assert "- **Example:** `hr-employees`" in name
    kind = _section(page, "spec-source-type--sql-pull")
    assert "one of `postgres`, `mysql`, `mssql`, `oracle`" in kind
    assert "`snowflake`" in kind
    assert "connector-provider-future.md" in kind
    assert "- **Modes:** all" in _section(page, "spec-mapping-idfield")


def test_output_is_deterministic_and_matches_the_committed_page() -> None:
    schema = load_schema()
    first = render_field_reference(schema)
    assert first == render_field_reference(json.loads(json.dumps(schema)))
    assert (ROOT / "docs/connector-field-reference.md").read_text(encoding="utf-8") == first
    assert (ROOT / "docs/diagnostics.md").read_text(encoding="utf-8") == render_diagnostics(CODES, rule_docs())


def test_diagnostics_page_lists_every_code_and_explains_every_rule() -> None:
    details = rule_docs()
    page = render_diagnostics(CODES, details)
    for code in CODES:
        linked = f"[`{code.code}`](#{code.code.lower()})" if code.code in details else f"`{code.code}`"
        assert f"| {linked} | {code.name} | {code.severity.value} |" in page
    assert {"GS101", "GS105", "GS113"} <= set(details)
    section = page[page.index("### GS105 incremental-auto-delete { #gs105 }") :]
    section = section[: section.index("\n### ")]
    assert "**Bad**" in section
    assert "**Good**" in section
    assert "deletePolicy: soft_delete_only" in section


def test_gate_passes_on_the_clean_tree(repo: Path) -> None:
    result = run_script(repo, "check_connector_reference_drift.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_gate_fails_with_a_diff_and_the_fix_when_a_schema_description_changes(repo: Path) -> None:
    schema = repo / "compiler/schema/connector.schema.json"
    edit(schema, '"Rows fetched from the server per batch while streaming."', '"Rows per batch (seeded change)."')
    result = run_script(repo, "check_connector_reference_drift.py")
    assert result.returncode == 1
    assert "--- docs/connector-field-reference.md (on disk)" in result.stdout
    assert "+++ docs/connector-field-reference.md (generated)" in result.stdout
    assert "-Rows fetched from the server per batch while streaming." in result.stdout
    assert "+Rows per batch (seeded change)." in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert (
        last == f"docs/connector-field-reference.md: out of date with the schema or the code registry; fix with: {FIX}"
    )

    fixed = run_script(repo, "check_connector_reference_drift.py", "--fix")
    assert fixed.returncode == 0
    assert fixed.stdout.strip() == "fixed docs/connector-field-reference.md"
    assert "Rows per batch (seeded change)." in (repo / "docs/connector-field-reference.md").read_text()
    assert run_script(repo, "check_connector_reference_drift.py").returncode == 0


def test_gate_fails_when_a_code_is_added_or_a_page_is_missing(repo: Path) -> None:
    edit(repo / "compiler/check/codes.py", '"A Jinja template does not parse."', '"A template is broken (seeded)."')
    (repo / "docs/connector-field-reference.md").unlink()
    result = run_script(repo, "check_connector_reference_drift.py")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"docs/connector-field-reference.md: missing; generate it with: {FIX}" in lines
    assert "+| [`GS110`](#gs110) | template-syntax | error | A template is broken (seeded). |" in lines
    assert lines[-1].startswith("docs/diagnostics.md: out of date")


def test_gate_answers_a_broken_schema_with_one_line_and_exit_2(repo: Path) -> None:
    (repo / "compiler/schema/connector.schema.json").write_text("{ not json", encoding="utf-8")
    result = run_script(repo, "check_connector_reference_drift.py")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot generate the reference pages: JSONDecodeError")


def test_compiler_docs_writes_the_generated_pages(repo: Path) -> None:
    edit(repo / "compiler/schema/connector.schema.json", '"Database provider."', '"Database provider (seeded)."')
    (repo / "docs/diagnostics.md").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "compiler", "docs"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "wrote docs/connector-field-reference.md" in result.stderr
    assert "Database provider (seeded)." in (repo / "docs/connector-field-reference.md").read_text()
    assert (repo / "docs/diagnostics.md").read_text(encoding="utf-8") == render_diagnostics(CODES, rule_docs())
    assert run_script(repo, "check_connector_reference_drift.py").returncode == 0


def test_compiler_docs_refuses_a_root_without_docs(tmp_path: Path) -> None:
    assert compiler_main(["docs", "--root", str(tmp_path)]) == 2


def test_schema_text_cannot_turn_into_html() -> None:
    schema = load_schema()
    schema["properties"]["kind"]["description"] = "Always Connector; see SECRET_<NAME> & co."
    page = render_field_reference(schema)
    assert "see SECRET_&lt;NAME&gt; &amp; co." not in page  # `>` needs no escape
    assert "see SECRET_&lt;NAME> &amp; co." in page
