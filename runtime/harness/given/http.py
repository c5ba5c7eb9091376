"""`rest_pull` cases: the runtime's own HTTP pull talks to an in-process server that serves the run's `given`.

The real `HttpPull` runs unchanged (its client's headers and timeouts, bearer or OAuth2 credentials, retries,
pagination and its checks, record parsing); only the network is replaced, by an `httpx.MockTransport` whose
handler is the case's server. No request ever leaves the process: the plan's host (`https://kb.example.com`) is
never contacted, and a request for any other host fails the run naming it.

`given.pages`: responses matched by request. Each page is `{request: {method, path, query}, response: {status,
headers, body}}`; a request matches a page when the method (default GET) and path are equal and the page's
`query` is a subset of the request's query (values compared as text). A request is answered by the first
matching page not used yet (pages with more query keys first); a request already answered, when no unused page
matches it, gets the same page again, so `[500, 200]` for one request is a retry that succeeds and a lone `500`
fails after the plan's retries. Each page answers one request (and its retries), never a different one. A request no page matches fails the run with a message naming it and listing what the case serves.

`given.records`: the records, served the connector's way (`serve_records`): pages of `PAGE_RECORDS` records (or
the plan's page size) under `recordsPath` (default: an object's `items`), with the cursor, next link, `Link`
header, page number or offset the plan's pagination reads, and the total at `totalPath`. The watermark filter
of an incremental plan is applied when the request sends it (`watermarkParam` in the query, or
`watermarkBodyField` in the POST body): a record whose watermark field is *before* the sent value is not
returned; records *at* the sent value are returned again, as the runtime's checkpoint contract says (the boundary
is inclusive, and the diff finds them unchanged). Values compare as numbers when both are numbers, as instants
when both read as ISO dates/times (naive ones as UTC), else as text; a record without the field is returned.

`given.fail`: the server fails with a connection error carrying the message, after what it serves: with pages,
every request no page matches; with records, the request after the last full page (cursor and link styles
announce one more page; counting styles fail the first page the records do not fill; `none` fails its only
request). The runtime retries it as any transport error, then the run fails and changes nothing.

Retries never wait: the pull's `sleep` is the server's recorder (`RestServer.slept`), not `time.sleep`, so the
plan's backoff and `Retry-After` are computed by the runtime's own policy but cost no time in a case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, assert_never

import httpx

from compiler.plan import (
    CursorPagination,
    HttpSource,
    LinkHeaderPagination,
    NextLinkPagination,
    NoPagination,
    OffsetPagination,
    PageNumberPagination,
    Plan,
)
from runtime.errors import ConfigError, SourceError
from runtime.harness.case import Case, Run
from runtime.harness.given.base import HarnessRun, Prepared
from runtime.sources.base import Pull, PullContext
from runtime.sources.http.pull import HttpPull
from runtime.sources.http.records import DEFAULT_ITEMS_KEY, lookup_path

PAGE_RECORDS = 2
"""Records per served page when the API decides the page size (cursor, link styles, page numbers without a
size): small, so that a case with a few records already crosses pages."""
OFFSET_PARAM = "harness_offset"
"""The query parameter of the next links the harness hands out (next_link, link_header)."""
TOKEN_BODY = {"access_token": "harness-oauth-token", "token_type": "Bearer", "expires_in": 3600}
"""The OAuth2 token endpoint's answer, unless a given page serves the token URL."""


class UnservedRequest(SourceError):
    """A request the case has no answer for: the case is incomplete, not the connector wrong."""


def _json_bytes(value: Any) -> bytes:
    def default(v: Any) -> Any:
        if isinstance(v, dt.datetime | dt.date | dt.time):
            return v.isoformat()
        raise TypeError(f"{type(v).__name__} is not JSON")

    return json.dumps(value, ensure_ascii=False, default=default).encode()


def _shown(request: httpx.Request) -> str:
    query = f"?{request.url.query.decode()}" if request.url.query else ""
    return f"{request.method} {request.url.path}{query}"


def _set_path(body: dict[str, Any], path: str, value: Any) -> None:
    node = body
    parts = path.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"the path {path!r} runs through {part!r}, which the served page already uses")
        node = child
    node[parts[-1]] = value


# --- the watermark filter -------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def before(value: Any, sent: Any) -> bool:
    """Is a record's watermark `value` before the `sent` checkpoint (so an API filtering on it leaves it out)?"""
    numbers = _number(value), _number(sent)
    if numbers[0] is not None and numbers[1] is not None:
        return numbers[0] < numbers[1]
    instants = _instant(value), _instant(sent)
    if instants[0] is not None and instants[1] is not None:
        return instants[0] < instants[1]
    return str(value) < str(sent)


# --- the server -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GivenPage:
    index: int
    method: str
    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str]
    body: Any
    used: bool = False

    def shown(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}"

    def matches(self, request: httpx.Request) -> bool:
        if request.method != self.method or request.url.path != self.path:
            return False
        params = request.url.params
        return all(params.get(k) == v for k, v in self.query.items())


def _pages(given: Any, where: str) -> list[GivenPage]:
    if not isinstance(given, list):
        raise ConfigError(f"{where}: `given.pages` is a list of {{request: {{...}}, response: {{...}}}}")
    pages: list[GivenPage] = []
    for index, item in enumerate(given):
        at = f"{where}: given.pages[{index + 1}]"
        if not isinstance(item, Mapping) or set(item) - {"request", "response"} or "response" not in item:
            raise ConfigError(
                f"{at}: a page is {{request: {{method, path, query}}, response: {{status, headers, body}}}}"
            )
        request, response = item.get("request") or {}, item["response"]
        if not isinstance(request, Mapping) or set(request) - {"method", "path", "query"}:
            raise ConfigError(f"{at}: `request` has method, path and query (all optional)")
        if not isinstance(response, Mapping) or set(response) - {"status", "headers", "body"}:
            raise ConfigError(f"{at}: `response` has status, headers and body")
        query, headers = request.get("query") or {}, response.get("headers") or {}
        if not isinstance(query, Mapping) or not isinstance(headers, Mapping):
            raise ConfigError(f"{at}: `request.query` and `response.headers` are mappings")
        status = response.get("status", 200)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ConfigError(f"{at}: `response.status` is an HTTP status, e.g. 200")
        pages.append(
            GivenPage(
                index=index,
                method=str(request.get("method", "GET")).upper(),
                path=str(request.get("path", "")),
                query={str(k): _text(v) for k, v in query.items()},
                status=status,
                headers={str(k): str(v) for k, v in headers.items()},
                body=response.get("body"),
            )
        )
    return pages


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@dataclass(slots=True)
class RestServer:
    """The handler of the case's `httpx.MockTransport`: answers from `pages`, or paginates `records`."""

    source: HttpSource
    watermark_field: str | None
    pages: list[GivenPage] | None = None
    records: list[dict[str, Any]] | None = None
    fail: str | None = None
    answered: dict[str, GivenPage] = field(default_factory=dict)
    """The page that last answered each request (`METHOD /path?query`)."""
    requests: list[str] = field(default_factory=list)
    """Every request served or refused, as `METHOD /path?query` (for the tests and messages)."""
    sleeps: list[float] = field(default_factory=list)
    """The backoffs the runtime's retry policy asked for (never slept)."""

    def slept(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(_shown(request))
        base = httpx.URL(self.source.url)
        oauth = self.source.oauth
        token = httpx.URL(oauth.token_url) if oauth is not None else None
        if token is not None and (request.url.host, request.url.path) == (token.host, token.path):
            if self.pages is None or not any(p.matches(request) for p in self.pages):
                return httpx.Response(200, json=TOKEN_BODY)
        elif request.url.host != base.host:
            raise UnservedRequest(
                f"the connector requested {request.url.host} ({_shown(request)}), not {base.host}, the host of its"
                " url; a case serves only the connector's own host"
            )
        if self.pages is not None:
            return self._from_pages(request)
        return self._from_records(request)

    def _failure(self, request: httpx.Request) -> httpx.ConnectError:
        return httpx.ConnectError(f"the connection dropped (given.fail): {self.fail}", request=request)

    def _from_pages(self, request: httpx.Request) -> httpx.Response:
        assert self.pages is not None
        shown = _shown(request)
        fresh = sorted(
            (p for p in self.pages if not p.used and p.matches(request)), key=lambda p: (-len(p.query), p.index)
        )
        if fresh:
            page = fresh[0]
        elif shown in self.answered:  # the same request again (a retry): its last page answers again
            page = self.answered[shown]
        else:
            if self.fail is not None:
                raise self._failure(request)
            served = "; ".join(p.shown() for p in self.pages) or "nothing"
            raise UnservedRequest(
                f"the case serves no response for {_shown(request)}; given.pages serve: {served}. Add a page whose"
                " request matches it (method, path, and a query that is a subset of the request's)"
            )
        page.used = True
        self.answered[shown] = page
        headers = {"content-type": "application/json", **{k.lower(): v for k, v in page.headers.items()}}
        return httpx.Response(page.status, headers=headers, content=_json_bytes(page.body))

    # --- records, paginated the connector's way ---

    def _visible(self, request: httpx.Request) -> list[dict[str, Any]]:
        assert self.records is not None
        sent: Any = None
        if self.source.watermark_param is not None and self.source.watermark_param in request.url.params:
            sent = request.url.params[self.source.watermark_param]
        elif self.source.watermark_body_field is not None and request.content:
            try:
                found, sent = lookup_path(json.loads(request.content), self.source.watermark_body_field)
            except ValueError:
                found = False
            sent = sent if found else None
        if sent is None or self.watermark_field is None:
            return self.records
        kept = []
        for record in self.records:
            found, value = lookup_path(record, self.watermark_field)
            if not found or value is None or not before(value, sent):
                kept.append(record)
        return kept

    def _page(self, records: Sequence[dict[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        _set_path(body, self.source.records_path or DEFAULT_ITEMS_KEY, list(records))
        for path, value in extra.items():
            _set_path(body, path, value)
        return body

    def _from_records(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != httpx.URL(self.source.url).path:
            raise UnservedRequest(
                f"the case serves no response for {_shown(request)}; given.records are served at"
                f" {self.source.method} {httpx.URL(self.source.url).path}"
            )
        records = self._visible(request)
        style = self.source.pagination
        params = request.url.params
        headers: dict[str, str] = {}
        if isinstance(style, NoPagination):
            if self.fail is not None:
                raise self._failure(request)
            body = self._page(records, {})
        elif isinstance(style, CursorPagination):
            start = _int(params.get(style.cursor_param, "c0").removeprefix("c"), request)
            body, more = self._linked(request, records, start)
            _set_path(body, style.next_cursor_path, f"c{start + PAGE_RECORDS}" if more else None)
        elif isinstance(style, NextLinkPagination | LinkHeaderPagination):
            start = _int(params.get(OFFSET_PARAM, "0"), request)
            body, more = self._linked(request, records, start)
            if more:
                link = str(request.url.copy_set_param(OFFSET_PARAM, str(start + PAGE_RECORDS)))
                if isinstance(style, NextLinkPagination):
                    _set_path(body, style.next_link_path, link)
                else:
                    headers["link"] = f'<{link}>; rel="next"'
        elif isinstance(style, PageNumberPagination | OffsetPagination):
            body = self._counted(request, style, records)
        else:
            assert_never(style)
        return httpx.Response(200, headers=headers, content=_json_bytes(body))

    def _linked(self, request: httpx.Request, records: list[dict[str, Any]], start: int) -> tuple[dict[str, Any], bool]:
        """A page of the cursor and link styles from `start`, and whether it announces another page. With `fail`,
        the page after the records is announced, and its request drops the connection."""
        if start >= len(records) and self.fail is not None:
            raise self._failure(request)
        following = start + PAGE_RECORDS
        return self._page(records[start:following], {}), following < len(records) or self.fail is not None

    def _counted(
        self, request: httpx.Request, style: PageNumberPagination | OffsetPagination, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        params = request.url.params
        if isinstance(style, PageNumberPagination):
            size = style.page_size or PAGE_RECORDS
            if style.page_size_param is not None and style.page_size_param in params:
                size = _int(params[style.page_size_param], request)
            page = _int(params.get(style.page_param, str(style.start_page)), request)
            start = (page - style.start_page) * size
        else:
            start = _int(params.get(style.offset_param, "0"), request)
            size = _int(params.get(style.limit_param, str(style.page_size)), request)
        chunk = records[max(start, 0) : max(start, 0) + max(size, 0)]
        if self.fail is not None and len(chunk) < size:
            raise self._failure(request)  # the first page the records do not fill
        total = {style.total_path: len(records) + (size if self.fail is not None else 0)} if style.total_path else {}
        return self._page(chunk, total)


def _int(text: str, request: httpx.Request) -> int:
    try:
        return int(text)
    except ValueError:
        raise UnservedRequest(f"the case serves no response for {_shown(request)}: {text!r} is not a number") from None


def _records(given: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(given, list) or not all(isinstance(r, Mapping) for r in given):
        raise ConfigError(f"{where}: `given.records` is a list of records (mappings)")
    return [dict(r) for r in given]


def prepare_http(plan: Plan, source: HttpSource, case: Case, run: Run, harness: HarnessRun) -> Prepared:
    where = f"{case.path}: run {run.index + 1}"
    if other := [k for k in run.given if k not in ("pages", "records")]:
        raise ConfigError(f"{where}: a rest_pull run gives `records` or `pages`, not {', '.join(other)}")
    server = RestServer(source, plan.extraction.watermark_field, fail=run.fail)
    if "pages" in run.given:
        server.pages = _pages(run.given["pages"], where)
    else:
        server.records = _records(run.given.get("records", []), where)
    return Prepared(plan=plan, open_pull=ServedPull(source, server))


@dataclass(slots=True)
class ServedPull:
    """The run's `open_pull`: the runtime's `HttpPull`, its network the case's server (kept for the tests)."""

    source: HttpSource
    server: RestServer

    def __call__(self, context: PullContext) -> Pull:
        transport = httpx.MockTransport(self.server.handle)
        # Backoff: the plan's Retry stays as compiled (its waits are computed, Retry-After honoured), but `sleep`
        # records them instead of sleeping, so a retried 5xx costs a case no time. The same effect as setting the
        # backoff to 0 with dataclasses.replace on the plan's Retry, without changing the policy under test.
        return HttpPull(context, self.source, sleep=self.server.slept, transport=transport)
