"""One HTTP call to the API with retries: only 429, 500, 502, 503, 504 and connection errors are retried (jittered
exponential backoff by `stamina`, or exactly the server's `Retry-After`); every other answer is final.

`ApiError` is a final error answer, parsed from the API's envelope (`{"error": {code, message, status}}`).
"""

from __future__ import annotations

import email.utils
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import stamina

from runtime.ingest.connection import Connection
from runtime.ingest.errors import DeliveryError
from runtime.ingest.settings import DeliverySettings
from runtime.proxies import proxy_for

RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass
class ApiError(Exception):
    """A final (not retried, or retries spent) error answer."""

    http_status: int
    status: str
    message: str
    request: str

    def __str__(self) -> str:
        return f"{self.request}: HTTP {self.http_status} {self.status}: {self.message}"


class _Transient(Exception):
    def __init__(self, error: ApiError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), at most `cap`."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        seconds = parsed.timestamp() - time.time()
    return min(max(seconds, 0.0), cap)


def _error_of(response: httpx.Response, request: str) -> ApiError:
    try:
        body = orjson.loads(response.content)
        error = body["error"]
        return ApiError(response.status_code, str(error.get("status", "")), str(error.get("message", "")), request)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason_phrase
        return ApiError(response.status_code, "", text, request)


class Api:
    """Calls on one connection, from any number of threads. Each thread keeps its own keep-alive transport, and
    calls go to it directly rather than through `httpx.Client`: the client's cookie jar, URL merging, auth and
    redirect layers (none of which these calls use) cost more CPU than the call itself, and thousands of deletes
    a second are bound by the client's CPU (see docs/delivery.md). The transport still applies the standard CA
    variables (`trust_env`), and `proxy_for` the proxy ones. Counts every HTTP attempt (retries included) in
    `calls`. `close()` closes every thread's transport."""

    def __init__(self, connection: Connection, settings: DeliverySettings) -> None:
        self.connection, self.settings = connection, settings
        self.calls = 0
        self.retries = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._transports: list[httpx.HTTPTransport] = []
        self._extensions = {"timeout": httpx.Timeout(settings.call_timeout).as_dict()}
        # One CA bundle load and one proxy choice for every thread's transport (loading the bundle takes ~25 ms).
        self._tls = httpx.create_ssl_context(trust_env=True)
        self._proxy = proxy_for(connection.base_url)

    def _transport(self) -> httpx.HTTPTransport:
        transport: httpx.HTTPTransport | None = getattr(self._local, "transport", None)
        if transport is None:
            transport = httpx.HTTPTransport(verify=self._tls, proxy=self._proxy)
            self._local.transport = transport
            with self._lock:
                self._transports.append(transport)
        return transport

    def close(self) -> None:
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()

    def _hook(self, exc: Exception) -> bool | float:
        if isinstance(exc, _Transient | httpx.TransportError):  # TransportError: connect, read, write, timeouts
            with self._lock:
                self.retries += 1
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return exc.retry_after
            return True
        return False

    def call(self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None) -> dict[str, Any]:
        """The JSON answer of `method /v1/{path}`; raises ApiError (final answer) or DeliveryError (retries spent)."""
        request = f"{method} /v1/{path}"
        content = orjson.dumps(body) if body is not None else None
        s = self.settings
        try:
            for attempt in stamina.retry_context(
                on=self._hook,
                attempts=s.attempts,
                timeout=s.retry_timeout,
                wait_initial=s.backoff_initial,
                wait_max=s.backoff_max,
            ):
                with attempt:
                    return self._once(method, path, params, content, request)
        except _Transient as last:
            raise DeliveryError(f"{last.error} (still failing after {s.attempts} tries)") from None
        except httpx.TransportError as exc:
            raise DeliveryError(
                f"{request}: cannot reach {self.connection.base_url}: {type(exc).__name__}: {exc}"
                f" (still failing after {s.attempts} tries)"
            ) from None
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    def _once(
        self, method: str, path: str, params: dict[str, str] | None, content: bytes | None, request: str
    ) -> dict[str, Any]:
        headers = {"Host": self.connection.host, **self.connection.auth_header()}
        if content is not None:
            headers["Content-Type"] = "application/json"
        with self._lock:
            self.calls += 1
        url = f"{self.connection.base_url}/v1/{path}"
        outgoing = httpx.Request(
            method, url, params=params, content=content, headers=headers, extensions=self._extensions
        )
        response = self._transport().handle_request(outgoing)
        try:
            response.read()
        finally:
            response.close()
        if response.status_code < 300:
            parsed: dict[str, Any] = orjson.loads(response.content) if response.content else {}
            return parsed
        error = _error_of(response, request)
        if response.status_code in RETRYABLE:
            raise _Transient(error, _retry_after(response.headers.get("Retry-After"), self.settings.retry_after_max))
        if response.status_code in (401, 403):
            raise DeliveryError(f"{error}; check the credentials and their access to the data store")
        raise error
