"""Document ids valid for Discovery Engine, derived from a record's id by the plan's `DocumentIdRule`.

The compiler decides the rule; this function is the one implementation of it, shared with the runtime (which
may import `compiler.plan` only), so an id never depends on which side computed it.

>>> from compiler.plan.model import DocumentIdRule
>>> rule = DocumentIdRule("id", 128, "^[A-Za-z0-9_-]+$", 80, "sha256", 40)
>>> document_id("emp-42", rule)
'emp-42'
>>> document_id("Ünïcode / path", rule)
'n-code-path-b4a06cee813d5553a801e317407741cd6383505e'
"""

from __future__ import annotations

import functools
import hashlib
import re

from compiler.plan.model import DocumentIdRule

_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_-]+")


@functools.lru_cache(maxsize=16)
def _allowed(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def document_id(raw: str, rule: DocumentIdRule) -> str:
    """`raw` itself when it is short and safe, else a readable prefix of it plus part of its SHA-256.

    The hash covers the whole raw id (UTF-8), so two raw ids that share a prefix, or differ only in unsafe
    characters, still get different document ids; `fallback_hash_chars` hex digits keep collisions out of
    reach (160 bits by default, never a 32-bit checksum). Raises ValueError for an empty id.
    """
    if not raw:
        raise ValueError("the document id is empty")
    if len(raw) <= rule.max_length and _allowed(rule.allowed_pattern).fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[: rule.fallback_hash_chars]
    readable = _UNSAFE_RUN.sub("-", raw).strip("-")[: rule.fallback_prefix_length].rstrip("-")
    return f"{readable}-{digest}" if readable else digest
