"""Push events in the earlier tool's shape: a whole canonical document under `__document` in a "json" record.

    {"doc_id", "title", "content", "uri", "mime_type" (default text/plain), "acl_users": [...],
     "acl_groups": [...], "metadata": {...}, "updated_at", "checksum"}

Such a record bypasses the field mapping: each part of the document is read from the canonical fields (the
metadata object's keys go into structData, under the title and uri). Records without `__document` in the same
batch are mapped as usual: `either` wraps both in one CASE per expression.
"""

from __future__ import annotations

from compiler.plan import Plan
from runtime.map.fields import RECORD, clean_principals, json_principals
from runtime.map.json_text import Text, acl_member, json_line, json_object, value
from runtime.map.sql import literal

_DOCUMENT = f"json_extract({RECORD}, '$.__document')"


def _field(name: str) -> str:
    return f"json_extract({RECORD}, {literal('$.__document.' + name)})"


def _text(name: str) -> str:
    return f"json_extract_string({RECORD}, {literal('$.__document.' + name)})"


def line_sql(plan: Plan) -> str:
    """The NDJSON line of a canonical record's document (reads the document id `c.__gs_id`)."""
    soft = plan.reconciliation.delete_policy == "soft_delete_only"
    flag = f", {literal(plan.reconciliation.soft_delete_flag_field)}: false" if soft else ""
    # RFC 7386 merge: our keys win over metadata keys of the same name; a null uri drops the key.
    own = f"to_json({{'title': coalesce({_text('title')}, ''), 'uri': {_text('uri')}{flag}}})"
    struct = f"json_merge_patch(coalesce(NULLIF({_field('metadata')}, 'null'::JSON), '{{}}'), {own})"
    mime = f"coalesce({_text('mime_type')}, {literal(plan.mapping.mime_type)})"
    content = [
        Text('{"mimeType":'),
        *value(mime),
        Text(',"rawBytes":"'),
        f"to_base64(encode(coalesce({_text('content')}, '')))",
        Text('"}'),
    ]
    users = clean_principals(json_principals(_field("acl_users"), "acl_users"))
    groups = clean_principals(json_principals(_field("acl_groups"), "acl_groups"))
    listed = (
        f"list_concat(list_transform({users}, lambda x: to_json({{'userId': x}})),"
        f" list_transform({groups}, lambda x: to_json({{'groupId': x}})))"
    )
    document = json_object([("id", value("c.__gs_id")), ("structData", value(struct))], [acl_member(listed)])
    return json_line(document, content)


def either(plan: Plan, raw: str, line: str, hash_sql: str, fingerprint: str) -> tuple[str, str, str]:
    """(raw id, line, hash) that use the canonical document where a record carries one."""
    present = f"{_DOCUMENT} IS NOT NULL"
    return (
        f"CASE WHEN {present} THEN {_text('doc_id')} ELSE {raw} END",
        f"CASE WHEN {present} THEN {line_sql(plan)} ELSE {line} END",
        f"CASE WHEN {present} THEN hash({literal(fingerprint)}, {_DOCUMENT}) ELSE {hash_sql} END",
    )
