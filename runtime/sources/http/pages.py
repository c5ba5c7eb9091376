"""Pagination: which request comes next, one small class per style, and the checks that keep a pull honest.

A `Pager` gives the first request, then, page by page in order, the next one (None: that was the last page).
Styles that follow the API (cursor, next link, Link header) fail the run when a cursor or URL repeats (a loop);
counting styles (page number, offset) fail it when a page repeats the previous page's records (the API ignores
the page parameter) or when the pages hold fewer records than the first page announced at `totalPath` (records
moved while paging, so a missing one would look deleted). Counting styles with a known total can also list every
remaining request after the first page, which lets the pull fetch them concurrently.
"""

from __future__ import annotations

import math
from typing import Protocol, assert_never

import httpx

from compiler.plan import (
    CursorPagination,
    HttpSource,
    LinkHeaderPagination,
    NextLinkPagination,
    NoPagination,
    OffsetPagination,
    PageNumberPagination,
)
from runtime.errors import SourceError
from runtime.sources.http.client import PageRequest, shown_url
from runtime.sources.http.records import ParsedPage, lookup_path

Params = tuple[tuple[str, str], ...]


class Pager(Protocol):
    def first(self) -> PageRequest: ...

    def after(self, request: PageRequest, response: httpx.Response, page: ParsedPage) -> PageRequest | None:
        """Called for every page, in order: the next request, or None after the last page."""
        ...

    def remaining(self) -> list[PageRequest] | None:
        """After the first page: every further request, when their number is known up front; else None."""
        ...

    def finish(self) -> None:
        """After the last page: raise if the pages, taken together, cannot be the whole result."""
        ...


def _where(request: PageRequest, method: str) -> str:
    return f"page {request.number} ({method} {shown_url(request.full_url())})"


class SinglePage:
    def __init__(self, source: HttpSource, base: Params) -> None:
        self.url, self.base = source.url, base

    def first(self) -> PageRequest:
        return PageRequest(1, self.url, self.base)

    def after(self, request: PageRequest, response: httpx.Response, page: ParsedPage) -> PageRequest | None:
        return None

    def remaining(self) -> list[PageRequest] | None:
        return None

    def finish(self) -> None:
        return None


class CursorPager(SinglePage):
    def __init__(self, source: HttpSource, base: Params, style: CursorPagination) -> None:
        super().__init__(source, base)
        self.style, self.method = style, source.method
        self.seen: dict[str, int] = {}

    def after(self, request: PageRequest, response: httpx.Response, page: ParsedPage) -> PageRequest | None:
        found, cursor = lookup_path(page.body, self.style.next_cursor_path)
        if not found or cursor is None or cursor == "":
            return None
        if isinstance(cursor, bool) or not isinstance(cursor, str | int):
            raise SourceError(
                f"{_where(request, self.method)}: the next cursor at {self.style.next_cursor_path!r} is not a string "
                "or a number; nothing was changed: check paginationNextCursorJsonPath"
            )
        text = str(cursor)
        if text in self.seen:
            raise SourceError(
                f"{_where(request, self.method)}: the API returned the cursor {text!r} again (first after page "
                f"{self.seen[text]}), so the pages loop; nothing was changed: check paginationNextCursorJsonPath"
            )
        self.seen[text] = request.number
        return PageRequest(request.number + 1, self.url, (*self.base, (self.style.cursor_param, text)))


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class LinkPager(SinglePage):
    """next_link and link_header: follow URLs the API hands out, within the first page's origin."""

    def __init__(self, source: HttpSource, base: Params, style: NextLinkPagination | LinkHeaderPagination) -> None:
        super().__init__(source, base)
        self.style, self.method = style, source.method
        self.origin = _origin(httpx.URL(source.url))
        self.seen: dict[str, int] = {}

    def first(self) -> PageRequest:
        request = super().first()
        self.seen[str(request.full_url())] = request.number
        return request

    def _link(self, request: PageRequest, response: httpx.Response, page: ParsedPage) -> str | None:
        if isinstance(self.style, LinkHeaderPagination):
            link = response.links.get("next", {}).get("url")
            return link or None
        found, link = lookup_path(page.body, self.style.next_link_path)
        if not found or link is None or link == "":
            return None
        if not isinstance(link, str):
            raise SourceError(
                f"{_where(request, self.method)}: the next link at {self.style.next_link_path!r} is not a string; "
                "nothing was changed: check pagination.nextLinkPath"
            )
        return link

    def after(self, request: PageRequest, response: httpx.Response, page: ParsedPage) -> PageRequest | None:
        link = self._link(request, response, page)
        if link is None:
            return None
        where = _where(request, self.method)
        try:
            target = response.url.join(link)
        except httpx.InvalidURL as exc:
            raise SourceError(f"{where}: the next link {link!r} is not a URL ({exc}); nothing was changed") from None
        if _origin(target) != self.origin:
            raise SourceError(
                f"{where}: the next link {shown_url(target)} leaves {httpx.URL(self.url).host}; credentials are never "
                "sent to another host, so nothing was changed: set url to the host that serves every page"
            )
        key = str(target)
        if key in self.seen:
            raise SourceError(
                f"{where}: the next link {shown_url(target)} was already read (page {self.seen[key]}), so the pages "
                "loop; nothing was changed"
            )
        self.seen[key] = request.number + 1
        return PageRequest(request.number + 1, key)


class CountingPager(SinglePage):
    """page_number and offset: the n-th request is computed, so the API's answers are checked instead."""

    def __init__(self, source: HttpSource, base: Params, style: PageNumberPagination | OffsetPagination) -> None:
        super().__init__(source, base)
        self.style, self.method = style, source.method
        self.page_size = style.page_size
        self.total: int | None = None
        self.records = 0
        self.previous: list[bytes] | None = None
        self.last: PageRequest | None = None

    def request(self, number: int) -> PageRequest:
        style = self.style
        if isinstance(style, PageNumberPagination):
            params: Params = ((style.page_param, str(style.start_page + number - 1)),)
            if style.page_size_param is not None and style.page_size is not None:
                params += ((style.page_size_param, str(style.page_size)),)
        else:
            params = (
                (style.offset_param, str((number - 1) * style.page_size)),
                (style.limit_param, str(style.page_size)),
            )
        return PageRequest(number, self.url, (*self.base, *params))

    def first(self) -> PageRequest:
        return self.request(1)

    def _read_total(self, request: PageRequest, page: ParsedPage) -> None:
        path = self.style.total_path
        if path is None:
            return
        found, total = lookup_path(page.body, path)
        if not found or isinstance(total, bool) or not isinstance(total, int) or total < 0:
            shown = "missing" if not found else f"{total!r}"
            raise SourceError(
                f"{_where(request, self.method)}: the total at {path!r} (pagination.totalPath) is {shown}, not a "
                "whole number of records; nothing was changed: fix totalPath or remove it"
            )
        self.total = total

    def after(self, request: PageRequest, response: httpx.Response, page: ParsedPage) -> PageRequest | None:
        if request.number == 1:
            self._read_total(request, page)
        records = list(page.records)
        if records and records == self.previous:
            raise SourceError(
                f"{_where(request, self.method)}: the page repeats the records of page {request.number - 1}, so the "
                "API ignores the page parameter; nothing was changed: check the pagination parameters"
            )
        self.previous, self.last = records, request
        self.records += len(records)
        if not records or (self.page_size is not None and len(records) < self.page_size):
            return None
        if self.total is not None and self.records >= self.total:
            return None
        return self.request(request.number + 1)

    def remaining(self) -> list[PageRequest] | None:
        if self.total is None or self.page_size is None or self.style.concurrency <= 1:
            return None
        pages = math.ceil(self.total / self.page_size)
        return [self.request(number) for number in range(2, pages + 1)]

    def finish(self) -> None:
        if self.total is not None and self.records < self.total and self.last is not None:
            raise SourceError(
                f"{_where(self.last, self.method)}: the API announced {self.total:,} records "
                f"({self.style.total_path} on page 1) but the pages held {self.records:,}; records changed while "
                "paging, and a missing one would look deleted, so nothing was changed: run again"
            )


def body_paths(source: HttpSource) -> tuple[str, ...]:
    """The paths of a page's body its pager reads (the page parser decodes these and the records only)."""
    style = source.pagination
    if isinstance(style, NoPagination | LinkHeaderPagination):
        return ()
    if isinstance(style, CursorPagination):
        return (style.next_cursor_path,)
    if isinstance(style, NextLinkPagination):
        return (style.next_link_path,)
    if isinstance(style, PageNumberPagination | OffsetPagination):
        return (style.total_path,) if style.total_path is not None else ()
    assert_never(style)


def pager_for(source: HttpSource, base: Params) -> Pager:
    """The pager of the plan's pagination style; `base` are the query parameters of every computed request."""
    style = source.pagination
    if isinstance(style, NoPagination):
        return SinglePage(source, base)
    if isinstance(style, CursorPagination):
        return CursorPager(source, base, style)
    if isinstance(style, NextLinkPagination | LinkHeaderPagination):
        return LinkPager(source, base, style)
    if isinstance(style, PageNumberPagination | OffsetPagination):
        return CountingPager(source, base, style)
    assert_never(style)
