"""The slow path: templates that need real Jinja, rendered per record in a sandbox with strict undefined.

Costs ~30 us a record, so the compiler marks simple templates `fields` and they never come here. Each record is
rendered under a budget (`runtime.map.jinja_budget`: loop iterations, time, output size, single operations), so
a template such as two nested `range(100000)` loops fails its first record with a message instead of hanging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2
import pyarrow as pa

from compiler.plan import Template
from runtime.errors import MappingError
from runtime.map.jinja_budget import MAX_RENDERED_CHARS, BudgetedEnvironment, TemplateBudgetExceeded, start_record
from runtime.map.templates import rendered_column


def _finalize(value: Any) -> Any:
    # NULL renders as '' in both paths, so a template's output does not depend on which path ran it.
    return "" if value is None else value


_ENV = BudgetedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize
)


def _render_record(compiled: jinja2.Template, context: dict[str, Any]) -> str:
    """One record's text, streamed so that an endless output stops at the limit instead of filling memory."""
    start_record()
    parts: list[str] = []
    size = 0
    for chunk in compiled.generate(context):
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise TemplateBudgetExceeded(f"it rendered more than {MAX_RENDERED_CHARS:,} characters for one record")
        parts.append(chunk)
    return "".join(parts)


def _render_one(template: Template, role: str, table: pa.Table, raw_ids: Sequence[object]) -> pa.Array:
    compiled = _ENV.budgeted(template.source)
    present = [name for name in template.variables if name in table.column_names]
    values = {name: table.column(name).to_pylist() for name in present}
    out: list[str] = []
    for row in range(table.num_rows):
        context = {name: values[name][row] for name in present}
        try:
            out.append(_render_record(compiled, context))
        except TemplateBudgetExceeded as exc:
            raise MappingError(
                f"record {raw_ids[row]!r}: the {role} template was stopped: {exc}. Fix: bound the template's loops "
                "and sizes (every record's template work is limited so that one record cannot stall the run)"
            ) from None
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
