"""Connection URLs: parse a source's secret, check it fits the provider, pick the driver, redact for messages.

The secret of a SQL source is a URL: `postgresql://user:pass@host:5432/db`, `mysql://...`, `mssql://...`,
`oracle://...`, SQLAlchemy's `dialect+driver://...`, or for the embedded providers `duckdb:///path/file.duckdb`
and `sqlite:///path/file.db`. The plan's driver applies when the URL names none. Every message built here shows
the URL with its credentials hidden (the userinfo password and credential query keys such as `password=`), and
`Target.scrub` removes every fragment of the secret from text a driver produced (`runtime.redact`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import URL, Dialect, make_url

from compiler.plan import SqlSource
from compiler.plan.providers import PROVIDERS
from runtime.errors import SourceError
from runtime.extract.binds import Bound, bind
from runtime.redact import mask_credentials, redact

BACKENDS: dict[str, tuple[str, ...]] = {name: provider.schemes for name, provider in PROVIDERS.items()}
"""Provider -> URL backend names it accepts (the first is canonical for SQLAlchemy), from the provider table."""
EMBEDDED = frozenset(name for name, provider in PROVIDERS.items() if provider.embedded)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}")


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed, validated connection URL for one source."""

    provider: str
    url: URL = field(repr=False)
    """The URL with `dialect+driver` filled in (never print it: it holds the password)."""
    secret_label: str
    """`secret 'name' (SECRET_NAME)`: where the URL came from, for messages."""
    secret: str = field(default="", repr=False)
    """The secret as resolved (the raw URL), so that `scrub` knows every fragment of it."""

    @property
    def driver(self) -> str:
        """The driver part of `dialect+driver` (e.g. `psycopg`), empty for embedded providers."""
        return self.url.drivername.partition("+")[2]

    @property
    def redacted(self) -> str:
        """The URL for messages: password and credential query values shown as ***."""
        return mask_credentials(self.url.render_as_string(hide_password=True))

    def scrub(self, text: str) -> str:
        """`text` with every fragment of the secret and every credential-shaped value replaced by ***."""
        return redact(text, [self.secret, self.url.password or ""])

    def error(self, what: str, cause: BaseException | str | None = None, fix: str = "") -> SourceError:
        """A SourceError naming the source, the redacted URL, the driver's reason and a fix; never the password."""
        reason = ""
        if isinstance(cause, BaseException):
            detail = " ".join(str(cause).split()) or type(cause).__name__
            reason = f": {type(cause).__name__}: {detail}"
        elif cause:
            reason = f": {cause}"
        message = f"{self.provider} source {self.redacted} ({self.secret_label}): {what}{reason}"
        if fix:
            message += f". Fix: {fix}"
        return SourceError(self.scrub(message))

    def bind(self, statement: str, params: Mapping[str, object], dialect: Dialect) -> Bound:
        """The statement in `dialect`'s paramstyle; a bind with no value is this source's error, not a KeyError."""
        try:
            return bind(statement, params, dialect)
        except KeyError as missing:
            raise self.error(f"the statement binds :{missing.args[0]} but no value was given") from None


def scrub(text: str, password: str | None) -> str:
    """Remove `password` (in every encoding) and anything credential-shaped from `text`."""
    return redact(text, [password] if password else [])


def secret_label(source: SqlSource) -> str:
    return f"secret {source.secret.name!r} ({source.secret.env})"


def parse_target(source: SqlSource, raw: str) -> Target:
    """Parse the secret's URL, check its scheme against the provider and apply the plan's driver."""
    label = secret_label(source)
    try:
        url = make_url(raw.strip())
    except Exception:
        # SQLAlchemy's message repeats the whole string, password included: never show it.
        scheme = raw.strip().partition("://")[0] if "://" in raw else ""
        scheme = scheme if _SCHEME.fullmatch(scheme) else "(unreadable)"
        raise SourceError(
            f"{source.provider} source: the connection URL in {label} is not a valid URL "
            f"(scheme {scheme!r}; the rest is not shown, it may hold a password). Fix: use the form "
            f"{example_url(source.provider)}; percent-encode special characters in the user and password."
        ) from None
    _refuse_ambiguous_userinfo(source, url, label)
    backend, _, driver = url.drivername.partition("+")
    accepted = BACKENDS.get(source.provider)
    if accepted is None:
        raise SourceError(f"provider {source.provider!r} is not a SQL provider this runtime knows")
    if backend not in accepted:
        shown = mask_credentials(url.render_as_string(hide_password=True))
        raise SourceError(
            redact(
                f"{source.provider} source: the connection URL in {label} is {shown}, whose scheme "
                f"{backend!r} does not match the provider. Fix: use a {' or '.join(a + '://' for a in accepted)} "
                f"URL, e.g. {example_url(source.provider)}, or change spec.source.type",
                [raw],
            )
        )
    if source.provider not in EMBEDDED:
        plan_driver = source.driver.partition("+")[2]
        url = url.set(drivername=f"{accepted[0]}+{driver or plan_driver}" if (driver or plan_driver) else accepted[0])
    else:
        url = url.set(drivername=accepted[0])
        if not url.database:
            raise SourceError(
                f"{source.provider} source: the URL in {label} names no file. Fix: use {example_url(source.provider)}"
            )
    return Target(provider=source.provider, url=url, secret_label=label, secret=raw)


def _refuse_ambiguous_userinfo(source: SqlSource, url: URL, label: str) -> None:
    """Refuse a URL whose user or password holds an unencoded `@`: SQLAlchemy and libpq split the userinfo at the
    first `@`, so the driver would look for a host named after the password's tail (and print it)."""
    if url.host and "@" in url.host:
        raise SourceError(
            f"{source.provider} source: the user or password of the connection URL in {label} contains an "
            "unencoded '@' (the URL is not shown, it holds a password). Fix: percent-encode it as %40, "
            f"as in {example_url(source.provider).replace('password', 'p%40ssword')}"
        )


def example_url(provider: str) -> str:
    row = PROVIDERS.get(provider)
    return row.example_url if row is not None else "dialect://user:password@host/database"
