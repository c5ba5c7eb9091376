"""The slow path: templates that need real Jinja, rendered per record in a sandbox with strict undefined.

Costs ~30 us a record, so the compiler marks simple templates `fields` and they never come here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import jinja2
import orjson
import pyarrow as pa
from jinja2.sandbox import SandboxedEnvironment

from compiler.plan import Template
from runtime.errors import MappingError
from runtime.map.paths import lookup
from runtime.map.templates import rendered_column


def _finalize(value: Any) -> Any:
    # NULL renders as '' in both paths, so a template's output does not depend on which path ran it.
    return "" if value is None else value


_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize
)


def _render_one(
    template: Template, role: str, contexts: Iterable[dict[str, Any]], raw_ids: Sequence[object]
) -> pa.Array:
    compiled = _ENV.from_string(template.source)
    out: list[str] = []
    for row, context in enumerate(contexts):
        try:
            out.append(compiled.render(context))
        except Exception as exc:  # any template failure names the record, never crashes the run
            raise MappingError(
                f"record {raw_ids[row]!r}: the {role} template failed: {type(exc).__name__}: {exc}"
            ) from None
    return pa.array(out, pa.string())


def _column_contexts(template: Template, table: pa.Table) -> Iterator[dict[str, Any]]:
    present = [name for name in template.variables if name in table.column_names]
    values = {name: table.column(name).to_pylist() for name in present}
    for row in range(table.num_rows):
        yield {name: values[name][row] for name in present}


def _record_contexts(template: Template, records: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A "json" record is its own context; a variable it lacks reads as None (like a NULL column)."""
    for record in records:
        context = dict(record)
        for name in template.variables:
            context.setdefault(name, None)
        yield context


def render_jinja_columns(
    table: pa.Table, templates: Sequence[tuple[str, Template]], id_field: str, *, json_records: bool = False
) -> pa.Table:
    """Append one rendered text column per `jinja` template (`fields` templates are left to SQL).

    With `json_records`, the table's `__record` column holds each record as JSON text and is the context.
    """
    jinja = [(role, t) for role, t in templates if t.kind == "jinja"]
    if table.num_rows == 0:
        for role, _ in jinja:
            table = table.append_column(rendered_column(role), pa.array([], pa.string()))
        return table
    records: list[dict[str, Any]] = []
    if json_records:
        records = [_parsed(text) for text in table.column("__record").to_pylist()]
        raw_ids: Sequence[object] = [lookup(r, id_field) for r in records]
    elif id_field in table.column_names:
        raw_ids = table.column(id_field).to_pylist()
    else:
        raw_ids = list(range(table.num_rows))
    for role, template in jinja:
        contexts = _record_contexts(template, records) if json_records else _column_contexts(template, table)
        table = table.append_column(rendered_column(role), _render_one(template, role, contexts, raw_ids))
    return table


def _parsed(text: str | None) -> dict[str, Any]:
    value = orjson.loads(text) if text else None
    return value if isinstance(value, dict) else {}
