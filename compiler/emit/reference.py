"""Generated documentation pages: the connector field reference and the diagnostic code reference.

Both are rendered from registries (the packaged JSON Schema, `compiler.check.codes.CODES`, the rule registries
and their modules' docstrings) through Jinja2
templates in `compiler/templates/`. `compiler docs` writes them; `scripts/check_connector_reference_drift.py`
re-renders them in memory and compares. Output is deterministic: same inputs, same bytes.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import jinja2

from compiler.check.codes import CODES, Code
from compiler.emit.schema_fields import Group, SchemaWalker, code

# Page path (relative to the repository root) -> renderer. The drift gate and `compiler docs` read this.
FIELD_REFERENCE_PAGE = "docs/connector-field-reference.md"
DIAGNOSTICS_PAGE = "docs/diagnostics.md"

# Code families: first digits of a code -> heading. Codes outside these still render, under "Other".
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("GS0", "Reading the file"),
    ("GS05", "Schema"),
    ("GS1", "Semantic rules"),
    ("GS2", "Suppressions"),
)


def prose(value: str) -> str:
    """Plain text from the schema or registry, safe in Markdown: `SECRET_<NAME>` must not become an HTML tag."""
    return value.replace("&", "&amp;").replace("<", "&lt;")


def load_schema() -> dict[str, Any]:
    """The connector schema shipped inside the `compiler` package."""
    text = resources.files("compiler").joinpath("schema/connector.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("compiler", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML
    )
    env.filters["code"] = code
    env.filters["text"] = prose
    return env


def render_field_reference(schema: Mapping[str, Any]) -> str:
    groups: list[Group] = SchemaWalker(schema).groups()
    template = _environment().get_template("connector-field-reference.md.j2")
    return template.render(
        schema_id=schema.get("$id", ""),
        title=schema.get("title", "Connector"),
        description=schema.get("description", ""),
        groups=groups,
        field_count=sum(len(g.fields) for g in groups),
    )


def _family(entry: Code) -> str:
    # Longest matching prefix wins, so GS05x is "Schema" and not "Reading the file".
    best = max((p for p, _ in _FAMILIES if entry.code.startswith(p)), key=len, default=None)
    return dict(_FAMILIES).get(best, "Other") if best else "Other"


def rule_docs() -> dict[str, str]:
    """Code -> the rule module's documentation (its docstring without the summary line), from the rule registries."""
    from compiler.check.project import PROJECT_RULES
    from compiler.check.registry import DOCUMENT_RULES

    rules: list[tuple[str, object]] = [(r.CODE, r) for r in DOCUMENT_RULES]
    rules += [(r.CODE, r) for r in PROJECT_RULES]
    return {code: (inspect.getdoc(rule) or "").partition("\n")[2].strip() for code, rule in rules}


def render_diagnostics(codes: Sequence[Code], details: Mapping[str, str] | None = None) -> str:
    """The code reference: a table per family, then each rule's explanation with its bad and good example."""
    families: dict[str, list[Code]] = {}
    for entry in codes:
        families.setdefault(_family(entry), []).append(entry)
    details = rule_docs() if details is None else details
    documented = [(c, details[c.code]) for c in codes if details.get(c.code)]
    template = _environment().get_template("diagnostics.md.j2")
    protected = [c.code for c in codes if c.protects_data]
    return template.render(
        families=families, count=len(codes), documented=documented, anchored=set(details), protected=protected
    )


def generated_pages() -> dict[str, Callable[[], str]]:
    """Every generated page, keyed by its path relative to the repository root."""
    return {
        FIELD_REFERENCE_PAGE: lambda: render_field_reference(load_schema()),
        DIAGNOSTICS_PAGE: lambda: render_diagnostics(CODES, rule_docs()),
    }
