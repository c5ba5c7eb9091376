"""One page request: the run's httpx client, credentials, retries, the run's deadline, and errors that name the page.

One `httpx.Client` and one transport serve the whole run (`Sender`), so pages reuse their connections (keep-alive)
and the standard proxy and CA environment variables apply (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`,
`SSL_CERT_FILE`, `SSL_CERT_DIR`). Responses may be gzip-compressed. Redirects are followed by the client, which
drops the `Authorization` header when a redirect leaves the origin, so credentials never reach another host.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from compiler.plan import HttpSource
from runtime.errors import SourceError
from runtime.proxies import proxy_for
from runtime.sources.http.auth import Credentials
from runtime.sources.http.retry import Deadline, RetryableStatus, retry_after_seconds, retrying

USER_AGENT = "gemini-sync-runtime"
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class PageRequest:
    """Page `number` (1-based, in this run) at `url` with extra query `params` (merged over the URL's own)."""

    number: int
    url: str
    params: tuple[tuple[str, str], ...] = ()

    @functools.cached_property
    def _full(self) -> httpx.URL:  # httpx parses URLs in Python: once per page, not once per use
        base, query = _parsed(self.url)
        return base.copy_with(params=query.merge(dict(self.params))) if self.params else base

    def full_url(self) -> httpx.URL:
        return self._full


@functools.lru_cache(maxsize=64)
def _parsed(url: str) -> tuple[httpx.URL, httpx.QueryParams]:
    """A page URL and its own query, parsed once per run: pages of one style share their URL and differ in
    params, and parsing (twice, in `copy_merge_params`) was 50 us of a page's ~700 us, measured."""
    parsed = httpx.URL(url)
    return parsed, parsed.params


def shown_url(url: httpx.URL) -> str:
    """A URL for messages: without user info (which could hold a password)."""
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


def open_client(source: HttpSource, concurrency: int, transport: httpx.BaseTransport | None = None) -> Sender:
    """The run's sender. `transport` replaces the network (the connector test harness serves its cases through
    `httpx.MockTransport`); every other setting, and the retries, pagination and credentials around it, are the
    same."""
    connections = max(concurrency, 1) + 1  # + 1 for the token endpoint
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = httpx.Headers({"Accept": "application/json", "User-Agent": USER_AGENT})
    headers.update(source.headers)  # the connector's own headers win, case-insensitively
    tls = httpx.create_ssl_context(trust_env=True)  # one CA bundle load for the client and the direct transport
    client = httpx.Client(
        headers=headers,
        timeout=httpx.Timeout(source.read_timeout_seconds, connect=source.connect_timeout_seconds),
        limits=limits,
        follow_redirects=True,
        verify=tls,
        trust_env=True,
        transport=transport,
    )
    direct = transport or httpx.HTTPTransport(verify=tls, limits=limits, proxy=proxy_for(source.url))
    return Sender(client, direct, httpx.URL(source.url))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class Sender:
    """Sends the run's requests, most of them straight to a transport.

    `httpx.Client` wraps each request in cookie, auth and redirect handling that a page of a well-behaved API
    never needs, and that costs about a quarter of a millisecond of CPU per request: a fifth of what the fastest
    loop spends on a page (see docs/benchmarks.md). So a request to the connector's own origin goes straight to
    the transport (with the client's headers and timeouts, from `client.build_request`) until an answer
    redirects or sets a cookie; from then on the client serves every request of the run, and the redirected
    request is sent again through it, so redirects are followed (credentials never cross to another origin) and
    cookies are kept exactly as the client does. Requests to any other origin (a token endpoint, a next link
    elsewhere) always go through the client, which applies the proxy variables per host."""

    def __init__(self, client: httpx.Client, direct: httpx.BaseTransport, base: httpx.URL) -> None:
        self.client, self._direct, self._origin = client, direct, _origin(base)
        self._direct_ok = True

    def send(self, request: httpx.Request, *, follow_redirects: bool) -> httpx.Response:
        if not (self._direct_ok and _origin(request.url) == self._origin):
            return self.client.send(request, follow_redirects=follow_redirects)
        response = self._direct.handle_request(request)
        response.request = request
        try:
            response.read()
        finally:
            response.close()
        if response.has_redirect_location or "set-cookie" in response.headers:
            self._direct_ok = False
            self.client.cookies.extract_cookies(response)
            if response.has_redirect_location and follow_redirects:
                return self.client.send(request, follow_redirects=True)
        return response

    def close(self) -> None:
        self.client.close()
        self._direct.close()


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text[:EXCERPT_CHARS].split())
    return f": {text}" if text else ""


class Fetcher:
    """Sends page requests for one run; every failure becomes one SourceError line naming the page and its URL."""

    def __init__(
        self,
        source: HttpSource,
        sender: Sender,
        credentials: Credentials,
        deadline: Deadline,
        body: bytes | None,
        secret_name: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source, self.sender, self.credentials = source, sender, credentials
        self.deadline, self.body, self.secret_name, self.sleep = deadline, body, secret_name, sleep
        self.retries = 0
        """Attempts beyond the first, over the run (for the run's notes)."""

    def _timeout(self) -> httpx.Timeout:
        remaining = max(self.deadline.remaining(), 0.001)
        source = self.source
        return httpx.Timeout(
            min(source.read_timeout_seconds, remaining), connect=min(source.connect_timeout_seconds, remaining)
        )

    def _send_once(self, request: httpx.Request, *, follow_redirects: bool) -> httpx.Response:
        response = self.sender.send(request, follow_redirects=follow_redirects)
        if response.status_code in self.source.retry.statuses:
            raise RetryableStatus(response, retry_after_seconds(response.headers.get("retry-after")))
        return response

    def _with_retries(
        self, build: Callable[[], httpx.Request], where: str, *, follow_redirects: bool
    ) -> httpx.Response:
        attempts = 0
        try:
            for attempt in retrying(self.source.retry, self.deadline, self.sleep):
                with attempt:
                    attempts += 1
                    self._check_deadline(where)
                    return self._send_once(build(), follow_redirects=follow_redirects)
        except RetryableStatus as exc:
            raise SourceError(
                f"{where}: {exc}, still after {_times(attempts)}; nothing was changed: run again later"
            ) from None
        except httpx.TimeoutException:
            raise SourceError(
                f"{where}: no response within {self.source.read_timeout_seconds:g} s (timeoutSeconds), after "
                f"{_times(attempts)}; nothing was changed: "
                "raise timeoutSeconds, or ask for smaller pages"
            ) from None
        except httpx.TransportError as exc:
            raise SourceError(
                f"{where}: the request failed ({type(exc).__name__}: {exc}) after {_times(attempts)}; nothing was "
                "changed: check the URL and that the API is reachable"
            ) from None
        finally:
            self.retries += max(attempts - 1, 0)
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _check_deadline(self, where: str) -> None:
        if self.deadline.passed():
            raise SourceError(
                f"{where}: the run's time limit of {self.deadline.seconds:g} s (runTimeoutSeconds) has passed; "
                "nothing was changed: raise runTimeoutSeconds, or read less per run"
            )

    def send_token(self, request: httpx.Request) -> httpx.Response:
        """The OAuth token request: retried like a page, never redirected."""
        request.extensions["timeout"] = self._timeout().as_dict()
        return self._with_retries(lambda: request, f"the OAuth2 token request to {request.url}", follow_redirects=False)

    def _page_request(self, page: PageRequest, authorization: str) -> httpx.Request:
        headers = {"Authorization": authorization}
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return self.sender.client.build_request(
            self.source.method, page.full_url(), content=self.body, headers=headers, timeout=self._timeout()
        )

    def fetch(self, page: PageRequest) -> httpx.Response:
        """The page's successful (2xx) response, after retries and at most one credential renewal."""
        where = f"page {page.number} ({self.source.method} {shown_url(page.full_url())})"
        authorization = self.credentials.authorization()
        response = self._with_retries(lambda: self._page_request(page, authorization), where, follow_redirects=True)
        if response.status_code == httpx.codes.UNAUTHORIZED and self.credentials.renew(authorization):
            authorization = self.credentials.authorization()
            response = self._with_retries(lambda: self._page_request(page, authorization), where, follow_redirects=True)
        if response.is_success:
            return response
        raise SourceError(f"{where}: {self._refusal(response)}")

    def _refusal(self, response: httpx.Response) -> str:
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        moved = ""
        if response.history:
            moved = f" (after a redirect to {shown_url(response.url)}, where no credentials are sent)"
        if response.status_code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            return (
                f"{status}{moved}: the credentials were refused; nothing was changed: check the secret "
                f"{self.secret_name!r} and its permissions"
            )
        return f"{status}{moved}{_excerpt(response)}; nothing was changed: check the URL and its parameters"


def _times(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"
