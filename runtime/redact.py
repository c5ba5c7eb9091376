"""Keep secret values out of every message: the last line of defence behind careful error messages."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

MASK = "***"


def secret_fragments(value: str) -> set[str]:
    """The value plus the parts of it that can show up alone (a URL's password, raw or percent-encoded)."""
    found = {value}
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    if password:
        found |= {password, unquote(password), quote(unquote(password), safe="")}
    return {f for f in found if len(f) >= 4}


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every fragment of every secret replaced by ***, longest first."""
    fragments: set[str] = set()
    for value in secrets:
        fragments |= secret_fragments(value)
    for fragment in sorted(fragments, key=len, reverse=True):
        text = text.replace(fragment, MASK)
    return text
