"""`fields` templates as DuckDB string concatenation; `jinja` templates read a column rendered in Python.

A `fields` template is literal text and `{{ field }}` substitutions, so it runs vectorised: NULL renders as the
empty string (the Jinja path does the same, see `runtime.map.jinja`).
"""

from __future__ import annotations

from compiler.plan import Template
from runtime.errors import MappingError
from runtime.map.sql import col, ident, literal


def rendered_column(role: str) -> str:
    """Name of the column the Jinja path adds to a chunk for a template (`content` or `uri`)."""
    return f"__gs_{role}"


def template_sql(template: Template, role: str, columns: frozenset[str]) -> str:
    """SQL text expression of a template over the chunk alias `c`."""
    if template.kind == "jinja":
        return col(rendered_column(role))
    pieces: list[str] = []
    for kind, value in template.parts:
        if kind == "text":
            pieces.append(literal(value))
            continue
        if value not in columns:
            raise MappingError(
                f"the {role} template uses {{{{ {value} }}}} but the query returns no column {value!r}"
                f" (columns: {', '.join(sorted(columns))}); add it to the SELECT or fix the template"
            )
        pieces.append(f"coalesce(CAST(c.{ident(value)} AS VARCHAR), '')")
    if not pieces:
        return "''"
    return "(" + " || ".join(pieces) + ")"
