"""Compile a plan's mapping into the SQL expressions that turn a staged chunk (alias `c`) into documents.

Document JSON (one line of upserts.ndjson):
    {"id", "structData": {"title", "uri", <metadata fields>, [<soft-delete flag>: false]},
     "content": {"mimeType", "rawBytes" (base64)} or {"mimeType", "uri"},
     "aclInfo": {"readers": [{"principals": [...]}]}}
`aclInfo` is omitted when the record has no principals; `content` when there is no content template and the
source supplies no content (`__content` / `__content_uri`, see `runtime.sources.base`).

Fields are read through a `FieldAccess` (`runtime.map.fields`): by column for "columns" records, by dotted JSON
path for "json" records. A "json" record of a push plan may carry a whole canonical document (`__document`,
`runtime.map.canonical`), used instead of the field mapping.

The content hash covers every part of the document plus a fingerprint of the mapping, so a changed record or a
changed mapping re-upserts the document and nothing else does. It is computed from the parts (not the JSON), so
an unchanged re-sync never builds JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from compiler.plan import Plan, Template, to_data
from runtime.errors import ConfigError
from runtime.map import canonical
from runtime.map.fields import ColumnAccess, FieldAccess, JsonAccess
from runtime.map.ids import document_id_sql, raw_id_sql
from runtime.map.json_text import Piece, Text, acl_member, concat_sql, json_line, json_object, value
from runtime.map.sql import col, ident, literal
from runtime.map.templates import rendered_column, template_sql
from runtime.sources.base import CONTENT_COLUMN, CONTENT_URI_COLUMN, MIME_TYPE_COLUMN, RecordFormat

HASH_ALGORITHM = "duckdb-hash:" + duckdb.__version__.rsplit(".", 1)[0]
"""Names the function behind content hashes; a DuckDB minor upgrade may change `hash()`."""


@dataclass(frozen=True, slots=True)
class DocumentSql:
    """SQL over a chunk `c`: `raw_id`, `id`, `hash`, `watermark` (or None) and `line` (the document's JSON text
    and a newline: one line of upserts.ndjson).

    `id` reads the column `__gs_raw` (the raw id, computed first); `line` reads the document id `c.__gs_id`.
    """

    raw_id: str
    id: str
    hash: str
    watermark: str | None
    line: str
    jinja_templates: tuple[tuple[str, Template], ...]
    record_format: RecordFormat
    fields: str | None = None
    """"json" records: SQL over a chunk `c` computing `__gs_f`, every field read, from one parse (see
    `runtime.map.fields.JsonAccess`); the other expressions read it. None for "columns" records."""

    def source(self, relation: str) -> str:
        """`relation` (a table or a parenthesised subquery) with `__gs_f` added when the records need it."""
        if self.fields is None:
            return relation
        return f"(SELECT {self.fields} AS __gs_f, * FROM {relation} c)"


def mapping_fingerprint(plan: Plan) -> str:
    """Changes whenever the shape of the documents would change (mapping, soft-delete fields, policy)."""
    data = {
        "mapping": to_data(plan.mapping),
        "policy": plan.reconciliation.delete_policy,
        "flag": plan.reconciliation.soft_delete_flag_field,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _content(plan: Plan, access: FieldAccess, columns: frozenset[str]) -> tuple[list[Piece] | None, list[str]]:
    """(pieces of the `content` member's JSON text, or None; what the hash must cover for it).

    The base64 goes in as text, not through `to_json`: it needs no escaping, and the JSON functions hold many
    copies of a large value per chunk (1 MiB documents: gigabytes per thread, measured)."""
    mapping = plan.mapping
    mime = literal(mapping.mime_type)
    if MIME_TYPE_COLUMN in columns:
        mime = f"coalesce({col(MIME_TYPE_COLUMN)}, {mime})"
    head: list[Piece] = [Text('{"mimeType":'), *value(mime)]
    supplied = [name for name in (CONTENT_COLUMN, CONTENT_URI_COLUMN, MIME_TYPE_COLUMN) if name in columns]

    def inline(base64: str) -> list[Piece]:
        return [*head, Text(',"rawBytes":"'), base64, Text('"}')]

    linked = [*head, Text(',"uri":'), *value(col(CONTENT_URI_COLUMN)), Text("}")]
    raw = inline(f"to_base64({col(CONTENT_COLUMN)})")
    if CONTENT_COLUMN in columns and CONTENT_URI_COLUMN in columns:
        either = f"CASE WHEN {col(CONTENT_COLUMN)} IS NOT NULL THEN {concat_sql(raw)} ELSE {concat_sql(linked)} END"
        return [either], supplied
    if CONTENT_COLUMN in columns:
        return raw, supplied
    if CONTENT_URI_COLUMN in columns:
        return linked, supplied
    if mapping.content:
        text = template_sql(mapping.content, "content", access)
        return inline(f"to_base64(encode({text}))"), supplied
    return None, supplied


def _hash_sql(plan: Plan, access: FieldAccess, templates: tuple[tuple[str, Template], ...], extra: list[str]) -> str:
    """DuckDB's 64-bit `hash()` over the mapping fingerprint and every source value the document reads.

    Hashing the values (not the rendered text) gives the same change detection, since the document is a
    function of them and of the mapping, and costs no string building: an unchanged re-sync renders nothing.
    Each value is hashed separately, so text moving between fields changes the hash. 3-5x faster than md5 on
    500-byte bodies; `HASH_ALGORITHM` is stored with the state so a DuckDB upgrade that changed `hash()` costs
    one full re-upsert, never a missed change.
    """
    mapping = plan.mapping
    names = {mapping.id.field, *mapping.metadata_fields}
    names |= {name for name in (mapping.title_field, mapping.acl_users_field, mapping.acl_groups_field) if name}
    parts = [literal(mapping_fingerprint(plan))]
    for role, template in templates:
        if template.kind == "jinja":
            parts.append(col(rendered_column(role)))
        else:
            names |= {value for kind, value in template.parts if kind == "field"}
    parts += [access.hashed(name) for name in sorted(names)]
    parts += [col(name) for name in extra]
    return f"hash({', '.join(parts)})"


def compile_mapping(plan: Plan, schema: pa.Schema, record_format: RecordFormat = "columns") -> DocumentSql:
    """Build the document SQL for chunks with this Arrow schema (column names and types)."""
    mapping = plan.mapping
    columns = frozenset(schema.names)
    json_access = JsonAccess() if record_format == "json" else None
    access: FieldAccess = json_access or ColumnAccess(schema)
    raw = raw_id_sql(access.text(access.require(mapping.id.field, "id field")))
    templates = tuple((role, t) for role, t in (("content", mapping.content), ("uri", mapping.uri)) if t)
    jinja = tuple((role, t) for role, t in templates if t.kind == "jinja")
    for _, template in jinja:
        for variable in template.variables:
            access.require(variable, f"template variable {{{{ {variable} }}}}")

    # structData keys and the pieces of their values' JSON text, in output order.
    struct: list[tuple[str, list[Piece]]] = []
    if mapping.title_field:
        title = access.text(access.require(mapping.title_field, "title field"))
        struct.append(("title", value(f"coalesce({title}, '')")))
    if mapping.uri:
        struct.append(("uri", value(template_sql(mapping.uri, "uri", access))))
    reserved = {key for key, _ in struct} | {plan.reconciliation.soft_delete_flag_field}
    reserved.add(plan.reconciliation.soft_delete_time_field)
    for field in mapping.metadata_fields:
        if field in reserved:
            raise ConfigError(f"metadata field {field!r} collides with a structData key the runtime writes")
        struct.append((field, value(access.value(access.require(field, "metadata field")))))
    if plan.reconciliation.delete_policy == "soft_delete_only":
        struct.append((plan.reconciliation.soft_delete_flag_field, [Text("false")]))

    # Documents are built as text (`runtime.map.json_text`), content first (see `_content`).
    content, content_columns = _content(plan, access, columns)
    principals: list[str] = []
    for acl_field, key in ((mapping.acl_users_field, "userId"), (mapping.acl_groups_field, "groupId")):
        if acl_field:
            items = access.principals(access.require(acl_field, "ACL field"))
            principals.append(f"list_transform({items}, lambda x: to_json({{{literal(key)}: x}}))")
    listed = principals[0] if len(principals) == 1 else f"list_concat({', '.join(principals)})"
    document = json_object(
        [("id", value("c.__gs_id")), ("structData", json_object(struct))],
        [acl_member(listed)] if principals else [],
    )
    line = json_line(document, content)
    hash_sql = _hash_sql(plan, access, templates, content_columns)

    watermark = plan.extraction.watermark_field
    watermark_sql = access.watermark(access.require(watermark, "watermark field")) if watermark else None
    if record_format == "json" and plan.mode == "rest_push":
        raw, line, hash_sql = canonical.either(plan, raw, line, hash_sql, mapping_fingerprint(plan))
    return DocumentSql(
        raw_id=raw,
        id=document_id_sql("__gs_raw", mapping.id),
        hash=hash_sql,
        watermark=watermark_sql,
        line=line,
        jinja_templates=jinja,
        record_format=record_format,
        fields=json_access.prelude() if json_access else None,
    )


__all__ = ["HASH_ALGORITHM", "DocumentSql", "compile_mapping", "ident", "mapping_fingerprint"]
