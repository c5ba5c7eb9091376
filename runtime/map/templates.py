"""`fields` templates as DuckDB string concatenation; `jinja` templates read a column rendered in Python.

A `fields` template is literal text and `{{ field }}` substitutions, so it runs vectorised: NULL (or, for a JSON
record, an absent key) renders as the empty string (the Jinja path does the same, see `runtime.map.jinja`).
"""

from __future__ import annotations

from typing import Protocol

from compiler.plan import Template
from runtime.map.sql import col, literal


class _Access(Protocol):
    def require(self, field: str, what: str) -> str: ...

    def text(self, field: str) -> str: ...


def rendered_column(role: str) -> str:
    """Name of the column the Jinja path adds to a chunk for a template (`content` or `uri`)."""
    return f"__gs_{role}"


def template_sql(template: Template, role: str, access: _Access) -> str:
    """SQL text expression of a template over the chunk alias `c`."""
    if template.kind == "jinja":
        return col(rendered_column(role))
    pieces: list[str] = []
    for kind, value in template.parts:
        if kind == "text":
            pieces.append(literal(value))
            continue
        field = access.require(value, f"{role} template's {{{{ {value} }}}}")
        pieces.append(f"coalesce({access.text(field)}, '')")
    if not pieces:
        return "''"
    return "(" + " || ".join(pieces) + ")"
