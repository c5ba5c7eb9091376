"""Mapping pass: how a record becomes a document, with templates pre-parsed and the document-id rule fixed.

A template that is only text and `{{ field }}` substitutions is lowered as `fields` (the runtime may build it
as one vectorised string concatenation); anything else (filters, conditionals, loops) is `jinja` and runs per
record in the sandboxed Jinja environment.
"""

from __future__ import annotations

from compiler.analysis.templates import analyze_template
from compiler.lower.draft import Draft, LoweringError
from compiler.plan import DocumentIdRule, Mapping, Template

ID_MAX_LENGTH = 128
"""Discovery Engine's limit on document ids."""
ID_ALLOWED_PATTERN = "^[A-Za-z0-9_-]+$"
ID_FALLBACK_PREFIX_LENGTH = 80
ID_FALLBACK_HASH_CHARS = 40
"""Hex digits of SHA-256 kept in a fallback id: 160 bits. Prefix + '-' + hash stays within the 128 limit."""
DEFAULT_MIME_TYPE = "text/plain"


def lower_template(source: str, pointer: str) -> Template:
    analysis = analyze_template(source)
    if analysis.error is not None:
        raise LoweringError(pointer, f"template does not parse: {analysis.error}")
    variables = tuple(sorted(set(analysis.variables)))
    if analysis.simple_parts is not None:
        return Template(source=source, kind="fields", parts=analysis.simple_parts, variables=variables)
    return Template(source=source, kind="jinja", parts=(), variables=variables)


def _optional_template(mapping: dict[str, object], key: str) -> Template | None:
    source = mapping.get(key)
    return None if source is None else lower_template(str(source), f"/spec/mapping/{key}")


def lower_mapping(draft: Draft) -> Draft:
    mapping = dict(draft.spec["mapping"])
    id_rule = DocumentIdRule(
        field=str(mapping["idField"]),
        max_length=ID_MAX_LENGTH,
        allowed_pattern=ID_ALLOWED_PATTERN,
        fallback_prefix_length=ID_FALLBACK_PREFIX_LENGTH,
        fallback_hash="sha256",
        fallback_hash_chars=ID_FALLBACK_HASH_CHARS,
    )
    return draft.replace(
        mapping=Mapping(
            id=id_rule,
            title_field=mapping.get("titleField"),
            content=_optional_template(mapping, "contentTemplate"),
            uri=_optional_template(mapping, "uriTemplate"),
            mime_type=str(mapping.get("mimeType", DEFAULT_MIME_TYPE)),
            acl_users_field=mapping.get("aclUsersField"),
            acl_groups_field=mapping.get("aclGroupsField"),
            metadata_fields=tuple(str(f) for f in mapping.get("metadataFields", ())),
        )
    )
