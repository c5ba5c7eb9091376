"""The document-id rule as one SQL expression, equal to `compiler.plan.document_id` for every non-empty id.

Valid ids pass through; others become a readable prefix + '-' + the first N hex chars of the SHA-256 of the
whole raw id (so two raw ids never share a document id unless SHA-256 collides). Tests check the expression
against `compiler.plan.document_id` on many inputs.
"""

from __future__ import annotations

from compiler.plan import DocumentIdRule
from runtime.map.sql import literal


def raw_id_sql(source: str) -> str:
    """The record's id as text (the form errors name and the hash covers)."""
    return f"CAST({source} AS VARCHAR)"


def document_id_sql(raw: str, rule: DocumentIdRule) -> str:
    """SQL for the document id of the text expression `raw` (NULL and '' are rejected before this is used)."""
    pattern = literal(rule.allowed_pattern)
    digest = f"left(sha256({raw}), {int(rule.fallback_hash_chars)})"
    readable = (
        f"rtrim(left(trim(regexp_replace({raw}, '[^A-Za-z0-9_-]+', '-', 'g'), '-'),"
        f" {int(rule.fallback_prefix_length)}), '-')"
    )
    fallback = f"CASE WHEN {readable} = '' THEN {digest} ELSE {readable} || '-' || {digest} END"
    return (
        f"CASE WHEN length({raw}) <= {int(rule.max_length)} AND regexp_full_match({raw}, {pattern})"
        f" THEN {raw} ELSE {fallback} END"
    )
