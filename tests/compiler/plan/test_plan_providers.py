"""The provider table (`compiler.plan.providers`) is the one list of SQL providers: what cannot be derived from it
(the plan's literal, both JSON schemas, the hand-written docs, the read-only policy's per-dialect lists, the
package extras) is checked against it here, and every row is checked for consistency with itself."""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlglot.dialects.dialect import Dialect

from compiler.plan import model, read_only_sql
from compiler.plan.providers import PROVIDERS, Provider

ROOT = Path(__file__).parents[3]
NAMES = list(PROVIDERS)
SERVERS = [p for p in PROVIDERS.values() if not p.embedded]


def _json(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / relative).read_text(encoding="utf-8"))
    return data


def _codes(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _table_row(page: str, field: str) -> str:
    match = re.search(rf"^\| `{field}` \|(?P<text>.*)\|$", page, re.MULTILINE)
    assert match, f"no table row for `{field}`"
    return match["text"]


def test_the_plan_literal_is_the_table() -> None:
    assert typing.get_args(model.SqlProvider) == tuple(NAMES)
    assert all(name == row.name for name, row in PROVIDERS.items())


def test_the_connector_schema_enum_is_the_table() -> None:
    source_type = _json("compiler/schema/connector.schema.json")["$defs"]["sqlPullSource"]["properties"]["type"]
    assert source_type["enum"] == NAMES
    assert not set(source_type.get("x-plannedValues", ())) & set(NAMES), "a built provider is still planned"
    assert set(source_type["examples"]) <= set(NAMES)


def test_the_plan_schema_enums_are_the_table() -> None:
    properties = _json("compiler/schema/plan.schema.json")["$defs"]["sqlSource"]["properties"]
    assert properties["provider"]["enum"] == NAMES
    assert properties["driver"]["enum"] == list(dict.fromkeys(p.driver for p in PROVIDERS.values()))
    assert properties["dialect"]["enum"] == list(dict.fromkeys(p.dialect for p in PROVIDERS.values()))


def test_the_generated_field_reference_lists_the_table() -> None:
    """Generated from the connector schema (the drift gate keeps it so); the schema is checked above."""
    page = (ROOT / "docs" / "connector-field-reference.md").read_text(encoding="utf-8")
    assert "- **Allowed:** one of " + ", ".join(f"`{name}`" for name in NAMES) + "\n" in page


def test_the_plan_format_page_lists_the_table() -> None:
    page = (ROOT / "docs" / "plan-format.md").read_text(encoding="utf-8")
    assert _codes(_table_row(page, "provider")) == NAMES
    assert _codes(_table_row(page, "driver")) == ["dialect+driver", *(p.driver for p in PROVIDERS.values())]


def test_the_secrets_page_lists_the_table() -> None:
    page = (ROOT / "docs" / "secrets.md").read_text(encoding="utf-8")
    servers = re.search(r"^\| SQL \((?P<names>[^)]*)\) \|", page, re.MULTILINE)
    embedded = re.search(r"^\| Embedded SQL \((?P<names>[^)]*)\) \|(?P<value>.*)\|$", page, re.MULTILINE)
    assert servers, "no row for the SQL servers"
    assert embedded, "no row for the embedded databases"
    assert _codes(servers["names"]) == [p.name for p in SERVERS]
    files = [p for p in PROVIDERS.values() if p.embedded]
    assert _codes(embedded["names"]) == [p.name for p in files]
    assert _codes(embedded["value"]) == [p.example_url for p in files]


@pytest.mark.parametrize("row", PROVIDERS.values(), ids=NAMES)
def test_every_provider_page_shows_its_urls(row: Provider) -> None:
    page = (ROOT / "docs" / f"connector-provider-{row.name}.md").read_text(encoding="utf-8")
    for scheme in row.schemes:
        assert f"{scheme}://" in page, f"the {row.name} page does not show a {scheme}:// URL"
    if not row.embedded:
        assert f"{row.driver}://" in page, f"the {row.name} page does not show its driver {row.driver}"
        assert f"HOST:{row.default_port}/" in page, f"the {row.name} page does not show port {row.default_port}"


@pytest.mark.parametrize("row", PROVIDERS.values(), ids=NAMES)
def test_every_row_agrees_with_itself(row: Provider) -> None:
    assert row.schemes, "a provider accepts at least one URL scheme"
    assert row.driver.partition("+")[0] == row.schemes[0], "SQLAlchemy is given the first scheme"
    example = make_url(row.example_url)
    assert example.drivername == row.schemes[0], "the example uses the canonical scheme"
    assert (example.password or "password") == "password", "the example holds a placeholder, not a password"
    assert row.embedded == (row.default_port is None) == (row.driver_name == "")
    if row.embedded:
        assert example.database, "an embedded provider's URL names a file"
        assert not example.host
    else:
        assert example.port == row.default_port
        assert example.host == "host"
    assert (row.driver_module is None) == (row.extra is None)
    Dialect.get_or_raise(row.dialect)


@pytest.mark.parametrize("row", SERVERS, ids=[p.name for p in SERVERS])
def test_every_server_driver_is_a_sqlalchemy_dialect(row: Provider) -> None:
    dialect = make_url(f"{row.driver}://").get_dialect()
    assert dialect.driver == row.driver_name


def test_every_driver_module_comes_with_its_extra() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    everything = {
        name.strip() for requirement in extras["all"] for name in requirement.partition("[")[2].rstrip("]").split(",")
    }
    for row in PROVIDERS.values():
        if row.extra is None:
            continue
        assert row.extra in extras, f"{row.name}: extra {row.extra!r} is not in pyproject.toml"
        assert row.extra in everything, f"{row.name}: extra {row.extra!r} is not in the 'all' extra"
        assert row.driver_module is not None
        assert importlib.util.find_spec(row.driver_module), "the dev install has every driver"
        if row.extra != "runtime":
            assert "gemini-sync[runtime]" in extras[row.extra], f"extra {row.extra!r} must include the runtime"


def test_the_read_only_policy_knows_every_dialect() -> None:
    """Keyed by sqlglot dialect: a dialect renamed in the table must not silently lose its forbidden functions."""
    dialects = {p.dialect for p in PROVIDERS.values()}
    assert set(read_only_sql.OUTSIDE_FUNCTIONS) == dialects
    assert set(read_only_sql.OUTSIDE_PREFIXES) <= dialects
    for name in PROVIDERS:
        assert read_only_sql.refusal("SELECT 1 AS id", name) is None
    assert read_only_sql.refusal("SELECT 1 AS id", "snowflake") == "'snowflake' is not a SQL provider"
