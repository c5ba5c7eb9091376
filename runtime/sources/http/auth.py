"""Credentials for page requests: the secret as a bearer token, or an OAuth2 client-credentials token.

The OAuth token is cached until shortly before it expires and shared by every page of the run (and every thread
fetching pages). A 401 on a page means the token went stale early (revoked, rotated, clock skew): the caller asks
`renew` once, which fetches a new token unless another thread already did, and retries that page once.
The token endpoint is never redirected to: a 3xx would re-post the client secret to wherever it points.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote_plus

import httpx

from compiler.plan import OAuth
from runtime.errors import SourceError

EXPIRY_MARGIN_SECONDS = 60.0
"""Renew this long before the token's announced expiry; a token living less than twice this is renewed at half
its lifetime."""
DEFAULT_LIFETIME_SECONDS = 3600.0
"""Assumed when the token response has no `expires_in`."""


class Credentials(Protocol):
    def authorization(self) -> str:
        """The Authorization header value for the next request."""
        ...

    def renew(self, stale: str) -> bool:
        """After a 401 for `stale`: True when a fresh credential is available to retry with once."""
        ...


class BearerToken:
    """The secret itself is the token; a 401 cannot be cured by asking again."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def authorization(self) -> str:
        return self._header

    def renew(self, stale: str) -> bool:
        return False


SendToken = Callable[[httpx.Request], httpx.Response]
"""Sends the token request (through the run's client, with its retry policy); never follows redirects."""


class ClientCredentials:
    """OAuth2 client-credentials grant (RFC 6749 section 4.4) with a cached token."""

    def __init__(
        self, oauth: OAuth, client_secret: str, send: SendToken, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.oauth, self._secret, self._send, self._clock = oauth, client_secret, send, clock
        self._lock = threading.Lock()
        self._header: str | None = None
        self._renew_at = 0.0
        self.fetched = 0
        """Tokens fetched so far (for the run's notes and the tests)."""

    def authorization(self) -> str:
        with self._lock:
            if self._header is None or self._clock() >= self._renew_at:
                self._fetch()
            assert self._header is not None
            return self._header

    def renew(self, stale: str) -> bool:
        with self._lock:
            if self._header == stale:  # nobody renewed it meanwhile
                self._fetch()
            return True

    def _request(self) -> httpx.Request:
        oauth = self.oauth
        form = {"grant_type": "client_credentials"}
        if oauth.scopes:
            form["scope"] = " ".join(oauth.scopes)
        if oauth.audience is not None:
            form["audience"] = oauth.audience
        headers = {"Accept": "application/json"}
        if oauth.client_auth_method == "client_secret_basic":
            # RFC 6749 2.3.1: form-urlencode id and secret before the Basic encoding
            basic = httpx.BasicAuth(quote_plus(oauth.client_id), quote_plus(self._secret))
            request = httpx.Request("POST", oauth.token_url, data=form, headers=headers)
            return next(basic.auth_flow(request))
        form |= {"client_id": oauth.client_id, "client_secret": self._secret}
        return httpx.Request("POST", oauth.token_url, data=form, headers=headers)

    def _fetch(self) -> None:
        where = f"the OAuth2 token request to {self.oauth.token_url}"
        response = self._send(self._request())
        if response.is_redirect:
            raise SourceError(
                f"{where} was redirected to {response.headers.get('location', '?')}; the client secret is never "
                "re-sent elsewhere: set oauth.tokenUrl to the final token endpoint"
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != httpx.codes.OK or not isinstance(payload, dict):
            detail = ""
            if isinstance(payload, dict) and isinstance(payload.get("error"), str):
                detail = f" ({payload['error']})"
            raise SourceError(
                f"{where} failed: HTTP {response.status_code}{detail}; check oauth.clientId, the client secret and "
                "the scopes"
            )
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise SourceError(f"{where} returned no access_token; check that the endpoint speaks OAuth2")
        seconds = _lifetime(payload.get("expires_in"))
        self._header = f"Bearer {token}"
        self._renew_at = self._clock() + max(seconds - EXPIRY_MARGIN_SECONDS, seconds / 2)
        self.fetched += 1


def _lifetime(expires_in: object) -> float:
    """`expires_in` in seconds; some servers send it as a string."""
    if isinstance(expires_in, str) and expires_in.strip().isdigit():
        expires_in = int(expires_in)
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        return float(expires_in)
    return DEFAULT_LIFETIME_SECONDS
