"""`scripts/check_docs_drift.py`: passes on the clean tree, fails with one clear line per seeded defect."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gate_helpers import edit, edit_schema, run_script, sql_type

GATE = "check_docs_drift.py"
Added = Callable[[Path], list[str]]


def problems(repo: Path) -> list[str]:
    result = run_script(repo, GATE)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    assert (result.returncode == 1) == bool(lines), (result.returncode, result.stdout, result.stderr)
    assert result.returncode in {0, 1}, result.stderr
    return lines


def _unplaced(line: str) -> str:
    """A problem line without its line:column, so edits that shift lines do not make old problems look new."""
    return re.sub(r"^([^:\s]+):\d+(?::\d+)?:", r"\1:", line)


@functools.cache
def _baseline(pristine: Path) -> frozenset[str]:
    return frozenset(_unplaced(line) for line in problems(pristine))


@pytest.fixture
def added(_pristine_copy: Path) -> Callable[[Path], list[str]]:
    """Problems in a seeded copy that the unseeded copy does not have (so each test sees only its defect)."""
    baseline = _baseline(_pristine_copy)
    return lambda repo: [line for line in problems(repo) if _unplaced(line) not in baseline]


def test_passes_on_the_clean_tree(repo: Path) -> None:
    assert problems(repo) == []


def test_broken_docs_example_is_reported_with_its_position(repo: Path, added: Added) -> None:
    page = repo / "docs/connector-mode-sql-pull.md"
    edit(page, "    deletePolicy: auto_delete_missing\n```", "    deletePolicy: delete_everything\n```")
    line = page.read_text().splitlines().index("    deletePolicy: delete_everything") + 1
    found = added(repo)
    assert len(found) == 1, found
    assert found[0].startswith(f"docs/connector-mode-sql-pull.md:{line}:")
    assert "example connector does not validate: error[GS053]" in found[0]


def test_unknown_field_in_an_example_is_reported(repo: Path, added: Added) -> None:
    edit(repo / "docs/reconciliation.md", "    query: SELECT sku,", "    quey: SELECT sku,")
    found = added(repo)
    assert found
    assert all("docs/reconciliation.md:" in line for line in found)
    assert any("[GS050]" in line for line in found)


def test_example_marked_to_fail_must_fail_with_exactly_those_codes(repo: Path, added: Added) -> None:
    edit(repo / "docs/reconciliation.md", "<!-- expect: GS105 -->", "<!-- expect: GS101 -->")
    found = added(repo)
    assert len(found) == 1
    assert found[0].startswith("docs/reconciliation.md:")
    assert "marked <!-- expect: GS101 --> gives GS105" in found[0]


def test_page_missing_from_the_nav(repo: Path, added: Added) -> None:
    edit(repo / "mkdocs.yml", "      - Secrets: secrets.md\n", "")
    assert added(repo) == ["docs/secrets.md: not in the mkdocs.yml nav"]


def test_nav_entry_without_a_page(repo: Path, added: Added) -> None:
    edit(repo / "mkdocs.yml", "      - Secrets: secrets.md\n", "      - Secrets: secrets.md\n      - Gone: gone.md\n")
    assert added(repo) == ["mkdocs.yml: nav names 'gone.md', but docs/gone.md does not exist"]


def test_dead_relative_link(repo: Path, added: Added) -> None:
    edit(repo / "docs/secrets.md", "# Secrets\n", "# Secrets\n\nSee [the vault page](vault.md#setup).\n")
    assert added(repo) == ["docs/secrets.md:3: dead link 'vault.md#setup': no such file"]


def test_dead_anchor_on_another_page_and_on_the_same_page(repo: Path, added: Added) -> None:
    edit(
        repo / "docs/secrets.md",
        "# Secrets\n",
        "# Secrets\n\nSee [the guard](reconciliation.md#delete-guard), [gone](reconciliation.md#nope), "
        "[here](#name-rule), [there](#nowhere) and [a field](connector-field-reference.md#spec-source-query--sql-pull).\n",
    )
    assert added(repo) == [
        "docs/secrets.md:3: dead link 'reconciliation.md#nope': docs/reconciliation.md has no heading #nope",
        "docs/secrets.md:3: dead link '#nowhere': docs/secrets.md has no heading #nowhere",
    ]


def test_named_repository_path_that_does_not_exist(repo: Path, added: Added) -> None:
    (repo / "connectors/kb-rest.yaml").rename(repo / "connectors/kb-renamed.yaml")
    found = added(repo)
    assert found, "the guide names connectors/kb-rest.yaml, which is gone"
    assert all("'connectors/kb-rest.yaml', which does not exist" in line for line in found), found
    assert any(line.startswith("docs/connector-authoring.md:") for line in found)


def test_paths_are_read_from_code_not_prose(repo: Path, added: Added) -> None:
    edit(repo / "docs/secrets.md", "# Secrets\n", "# Secrets\n\nAbout 900 connectors/s. See `scripts/rotate.py`.\n")
    assert added(repo) == ["docs/secrets.md:3: names 'scripts/rotate.py', which does not exist in the repository"]


def test_command_that_does_not_exist(repo: Path, added: Added) -> None:
    edit(repo / "docs/cli.md", "compiler docs\n```", "compiler frobnicate connectors/\n```")
    found = added(repo)
    assert len(found) == 1
    assert found[0].startswith("docs/cli.md:")
    assert "`compiler` has no command 'frobnicate'" in found[0]


def test_option_that_does_not_exist(repo: Path, added: Added) -> None:
    edit(repo / "docs/cli.md", "compiler build connectors/ --out out/plans", "compiler build connectors/ --output x")
    found = added(repo)
    assert len(found) == 1
    assert "`compiler build` has no option --output" in found[0]


def test_script_that_does_not_exist_or_lacks_an_option(repo: Path, added: Added) -> None:
    edit(repo / "docs/cli.md", "python scripts/check_docs_drift.py\n", "python scripts/check_docs_drifts.py\n")
    edit(repo / "docs/cli.md", "--fix\n```", "--repair\n```")
    found = added(repo)
    assert len(found) == 3, found
    assert "names 'scripts/check_docs_drifts.py', which does not exist in the repository" in found[0]
    assert "command 'python scripts/check_docs_drifts.py': scripts/check_docs_drifts.py does not exist" in found[1]
    assert "scripts/check_connector_reference_drift.py has no option --repair" in found[2]


def test_source_type_without_a_page(repo: Path, added: Added) -> None:
    edit_schema(repo, lambda schema: sql_type(schema)["enum"].append("snowflake"))
    assert added(repo) == [
        "docs/connector-provider-snowflake.md: missing: source type 'snowflake' in the schema has no page",
        "docs/connector-authoring.md: source type 'snowflake' page is not listed "
        "(expected 'connector-provider-snowflake.md' in the guide)",
    ]


def test_delete_policy_not_described(repo: Path, added: Added) -> None:
    def add_policy(schema: dict[str, Any]) -> None:
        schema["$defs"]["reconciliation"]["properties"]["deletePolicy"]["enum"].append("archive")

    edit_schema(repo, add_policy)
    assert added(repo) == [
        "docs/reconciliation.md: delete policy `archive` of the schema is not described",
        "docs/connector-authoring.md: delete policy 'archive' is not listed (expected '`archive`' in the guide)",
    ]


def test_planned_provider_not_on_the_future_page(repo: Path, added: Added) -> None:
    edit_schema(repo, lambda schema: sql_type(schema)["x-plannedValues"].append("teradata"))
    assert added(repo) == [
        "docs/connector-provider-future.md: planned provider `teradata` (x-plannedValues in the schema) is not listed"
    ]


def test_mode_page_without_an_example(repo: Path, added: Added) -> None:
    page = repo / "docs/connector-mode-rest-push.md"
    page.write_text(page.read_text(encoding="utf-8").replace("```yaml", "```text"), encoding="utf-8")
    assert added(repo) == [
        "docs/connector-mode-rest-push.md: has no copy-paste example: a yaml block with `kind: Connector` and "
        "`mode: rest_push`"
    ]


def test_provider_page_without_what_is_verified(repo: Path, added: Added) -> None:
    edit(repo / "docs/connector-provider-oracle.md", "## What is verified", "## Testing")
    assert added(repo) == [
        "docs/connector-provider-oracle.md: has no section 'What is verified' "
        "(every provider page has ('Secret', 'Driver', 'What is verified'))"
    ]


def test_authoring_guide_must_list_every_provider(repo: Path, added: Added) -> None:
    guide = repo / "docs/connector-authoring.md"
    edit(guide, "- MySQL: [`docs/connector-provider-mysql.md`](connector-provider-mysql.md)\n", "")
    found = added(repo)
    assert found == [
        "docs/connector-authoring.md: source type 'mysql' page is not listed "
        "(expected 'connector-provider-mysql.md' in the guide)"
    ]


def test_touching_unrelated_files_does_not_satisfy_it(repo: Path, added: Added) -> None:
    edit(repo / "mkdocs.yml", "      - Secrets: secrets.md\n", "")
    (repo / "docs/secrets.md").touch()
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\n", encoding="utf-8")
    (repo / "tests/gates/test_unrelated_touch.py").write_text("# secrets.md\n", encoding="utf-8")
    assert added(repo) == ["docs/secrets.md: not in the mkdocs.yml nav"]


def test_a_checker_failure_is_one_line_and_exit_2(repo: Path) -> None:
    (repo / "compiler/schema/connector.schema.json").write_text("{ not json", encoding="utf-8")
    result = run_script(repo, GATE)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot run the docs checks: JSONDecodeError")
