"""The slow path: templates that need real Jinja, rendered per record in a sandbox with strict undefined.

Costs ~30 us a record, so the compiler marks simple templates `fields` and they never come here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2
import pyarrow as pa
from jinja2.sandbox import SandboxedEnvironment

from compiler.plan import Template
from runtime.errors import MappingError
from runtime.map.templates import rendered_column


def _finalize(value: Any) -> Any:
    # NULL renders as '' in both paths, so a template's output does not depend on which path ran it.
    return "" if value is None else value


_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize
)


def _render_one(template: Template, role: str, table: pa.Table, raw_ids: Sequence[object]) -> pa.Array:
    compiled = _ENV.from_string(template.source)
    present = [name for name in template.variables if name in table.column_names]
    values = {name: table.column(name).to_pylist() for name in present}
    out: list[str] = []
    for row in range(table.num_rows):
        context = {name: values[name][row] for name in present}
        try:
            out.append(compiled.render(context))
        except Exception as exc:  # any template failure names the record, never crashes the run
            raise MappingError(
                f"record {raw_ids[row]!r}: the {role} template failed: {type(exc).__name__}: {exc}"
            ) from None
    return pa.array(out, pa.string())


def render_jinja_columns(table: pa.Table, templates: Sequence[tuple[str, Template]], id_field: str) -> pa.Table:
    """Append one rendered text column per `jinja` template (`fields` templates are left to SQL)."""
    jinja = [(role, t) for role, t in templates if t.kind == "jinja"]
    if table.num_rows == 0:
        for role, _ in jinja:
            table = table.append_column(rendered_column(role), pa.array([], pa.string()))
        return table
    raw_ids = table.column(id_field).to_pylist() if id_field in table.column_names else list(range(table.num_rows))
    for role, template in jinja:
        table = table.append_column(rendered_column(role), _render_one(template, role, table, raw_ids))
    return table
