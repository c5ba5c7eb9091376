"""Keep secret values out of every message: one mechanism that knows where a credential can sit in a DSN.

Two layers, both applied by `redact`:

1. **Known secrets.** `secret_fragments(value)` lists every piece of a secret that a message could show on its
   own. For a database URL that is each credential position: the password of the userinfo under every reading of
   its `@`s (SQLAlchemy and libpq split at the first `@`, `urllib` at the last, so an unencoded `@` in a password
   leaves its tail in the host name a driver then prints), and the values of credential query keys (`password`,
   `sslpassword`, `passfile`, `pwd`, ... including `PWD=` inside an ODBC `odbc_connect` string); each raw,
   percent-decoded and percent-encoded. Any other secret (a token, a non-database URL, a libpq keyword string)
   counts whole, plus the credential values inside it.
2. **Credential shapes.** `mask_credentials(text)` masks what looks like a credential whatever its value:
   `scheme://user:***@host` and `password=***` (and the other credential keys). That covers a password in a
   form the first layer did not predict, such as a driver re-encoding it.

Fragments shorter than four characters are not replaced on their own (they would garble ordinary words); the
credential shapes still mask them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from compiler.plan.providers import PROVIDERS

MASK = "***"
MIN_FRAGMENT = 4

_KEY = r"[A-Za-z_]*(?:pass|pwd|secret|token|credential|apikey|api_key)[A-Za-z_]*"
"""A parameter name that holds a credential: password, sslpassword, passfile, passwd, PWD, client_secret, ..."""
_CREDENTIAL_VALUE = re.compile(
    rf"(?P<key>(?<![A-Za-z_]){_KEY})(?P<eq>\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'|\"[^\"]*\"|\{{[^}}]*\}}|[^&;\s,)'\"]+)",
    re.IGNORECASE,
)
"""`key=value` of a credential key in a query string, a libpq keyword string or an ODBC connection string."""
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)\S*(?P<tail>@)")
"""`scheme://user:<password>@`, greedy to the last `@` of the token: an unencoded `@` must not leak a tail."""
_SCHEMES = sorted(
    {scheme for provider in PROVIDERS.values() for scheme in provider.schemes}, key=lambda s: (-len(s), s)
)
_DATABASE_SCHEME = re.compile(rf"^({'|'.join(map(re.escape, _SCHEMES))})(\+[A-Za-z0-9_]+)?://", re.IGNORECASE)
"""URLs whose credentials sit only in the userinfo and the query: the rest (host, database) is not secret.
The schemes are every provider's (`compiler.plan.providers`)."""


def _forms(value: str) -> set[str]:
    """A value as a message may show it: raw, percent-decoded, and percent-encoded the usual ways."""
    forms = {value, unquote(value), unquote_plus(value)}
    for form in list(forms):
        forms |= {quote(form, safe=""), quote_plus(form), quote(form)}
    return forms


def _unquoted(value: str) -> str:
    if len(value) >= 2 and (value[0], value[-1]) in (("'", "'"), ('"', '"'), ("{", "}")):
        return value[1:-1]
    return value


def _credential_values(text: str) -> set[str]:
    """Values of credential keys in `text`, also inside percent-encoded parts (an `odbc_connect=` string)."""
    found: set[str] = set()
    for variant in {text, unquote(text), unquote_plus(text)}:
        for match in _CREDENTIAL_VALUE.finditer(variant):
            value = match.group("value")
            found |= {value, _unquoted(value)}
    return found


def _userinfo_passwords(value: str) -> set[str]:
    """The password under every split of the userinfo at one of its `@`s, and each `@`-separated piece of it."""
    rest = value.split("://", 1)[1]
    found: set[str] = set()
    for at in [i for i, char in enumerate(rest) if char == "@"][:16]:
        userinfo = rest[:at]
        if ":" not in userinfo or any(c.isspace() for c in userinfo):
            continue
        password = userinfo.split(":", 1)[1]
        found.add(password)
        found.update(password.split("@"))
    return found


def secret_fragments(value: str) -> set[str]:
    """Every piece of `value` that must never appear in a message (see the module docstring)."""
    value = value.strip()
    pieces = _credential_values(value)
    if "://" in value:
        pieces |= _userinfo_passwords(value)
    if not _DATABASE_SCHEME.match(value):
        pieces.add(value)  # an opaque secret (a token, a webhook URL): all of it is secret
    fragments: set[str] = set()
    for piece in pieces:
        fragments |= _forms(piece)
    return {f for f in fragments if len(f) >= MIN_FRAGMENT}


def mask_credentials(text: str) -> str:
    """`text` with URL passwords and credential `key=value` values replaced by ***, whatever their value."""
    text = _USERINFO.sub(rf"\g<head>{MASK}\g<tail>", text)
    return _CREDENTIAL_VALUE.sub(rf"\g<key>\g<eq>{MASK}", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every fragment of every secret replaced by *** (longest first), then credential shapes masked."""
    fragments: set[str] = set()
    for value in secrets:
        fragments |= secret_fragments(value)
    for fragment in sorted(fragments, key=len, reverse=True):
        text = text.replace(fragment, MASK)
    return mask_credentials(text)
