"""Every pagination style against a real server on 127.0.0.1, and the checks that stop a pull that cannot be whole."""

from __future__ import annotations

import io

import pytest

from compiler.plan import (
    CursorPagination,
    LinkHeaderPagination,
    NextLinkPagination,
    OffsetPagination,
    PageNumberPagination,
)
from runtime.errors import SourceError
from runtime.progress import progress_printer
from tests.runtime.http.api_server import ApiServer, PagedApi, Reply, Seen, records
from tests.runtime.http.httpplans import http_plan, http_source, pull

CURSOR = CursorPagination(strategy="cursor", cursor_param="cursor", next_cursor_path="paging.next_cursor")
NEXT_LINK = NextLinkPagination(strategy="next_link", next_link_path="links.next")
LINK_HEADER = LinkHeaderPagination(strategy="link_header")


def page_number(size: int | None = 10, total: str | None = None, concurrency: int = 1) -> PageNumberPagination:
    return PageNumberPagination("page_number", "page", 1, "per_page" if size else None, size, total, concurrency)


def offset(size: int = 10, total: str | None = None, concurrency: int = 1) -> OffsetPagination:
    return OffsetPagination("offset", "offset", "limit", size, total, concurrency)


def ids(result_records: list[dict[str, object]]) -> list[object]:
    return [record["id"] for record in result_records]


@pytest.mark.parametrize(
    ("style", "api_style"),
    [
        (CURSOR, "cursor"),
        (NEXT_LINK, "next_link"),
        (LINK_HEADER, "link_header"),
        (page_number(), "page_number"),
        (page_number(size=None), "page_number"),
        (offset(), "offset"),
        (offset(total="meta.total"), "offset"),
        (page_number(total="meta.total", concurrency=3), "page_number"),
        (offset(total="meta.total", concurrency=4), "offset"),
    ],
    ids=[
        "cursor",
        "next_link",
        "link_header",
        "page",
        "page-unsized",
        "offset",
        "offset-total",
        "page-x3",
        "offset-x4",
    ],
)
def test_every_style_reads_every_record_once_in_order(style: object, api_style: str, api: ApiServer, out: str) -> None:
    data = records(95)
    PagedApi(api, "/articles", api_style, data, page_size=10)
    result = pull(http_plan(out, http_source(api.url("/articles"), pagination=style)))
    assert ids(result.records) == [item["id"] for item in data]
    assert result.records[3] == data[3]  # nested objects, arrays, numbers and booleans survive as JSON
    assert result.outcome.complete
    requests = api.requests("/articles")
    unsized_extra = 1 if isinstance(style, PageNumberPagination) and style.page_size is None else 0
    assert len(requests) == 10 + unsized_extra  # 9 full pages, a short one (and an empty one when the size is unknown)
    assert "read 10 pages" in result.notes[0] or "read 11 pages" in result.notes[0]


def test_sequential_pages_reuse_one_connection_and_accept_gzip(api: ApiServer, out: str) -> None:
    PagedApi(api, "/articles", "cursor", records(50), page_size=10)
    pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))
    requests = api.requests("/articles")
    assert len(requests) == 5
    assert len({seen.client for seen in requests}) == 1
    assert all("gzip" in seen.headers["accept-encoding"] for seen in requests)
    assert api.gzipped == 5


def test_concurrent_pages_stay_within_the_bound(api: ApiServer, out: str) -> None:
    data = records(120)
    paged = PagedApi(api, "/articles", "offset", data, page_size=10)
    api.routes["/articles"] = lambda seen: Reply(**{**vars(paged.route(seen)), "delay": 0.05})
    result = pull(
        http_plan(out, http_source(api.url("/articles"), pagination=offset(total="meta.total", concurrency=3)))
    )
    assert ids(result.records) == [item["id"] for item in data]
    assert 1 < api.max_in_flight <= 3
    assert "3 pages at a time" in result.notes[0]


def test_records_at_a_path_and_the_earlier_tools_defaults(api: ApiServer, out: str) -> None:
    PagedApi(api, "/nested", "cursor", records(15), page_size=10, envelope="data.results")
    PagedApi(api, "/bare", "none", records(3), envelope="")
    nested = pull(http_plan(out, http_source(api.url("/nested"), pagination=CURSOR, records_path="data.results")))
    bare = pull(http_plan(out, http_source(api.url("/bare"))))
    assert len(nested.records) == 15
    assert ids(bare.records) == ["a-1", "a-2", "a-3"]


def test_an_empty_source_is_one_empty_batch_not_an_error(api: ApiServer, out: str) -> None:
    PagedApi(api, "/articles", "cursor", [], page_size=10)
    result = pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))
    assert (result.records, result.batches) == ([], 1)


def test_the_page_cap_fails_the_run_naming_the_page(api: ApiServer, out: str) -> None:
    PagedApi(api, "/articles", "cursor", records(100), page_size=10)
    with pytest.raises(
        SourceError, match=r"page 4 \(GET http://127\.0\.0\.1:\d+/articles\?cursor=30\): the page cap of 3 pages"
    ):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR, page_cap=3)))
    assert len(api.requests("/articles")) == 3


def test_a_concurrent_pull_checks_the_cap_before_fetching(api: ApiServer, out: str) -> None:
    PagedApi(api, "/articles", "page_number", records(100), page_size=10)
    source = http_source(api.url("/articles"), pagination=page_number(total="meta.total", concurrency=4), page_cap=5)
    with pytest.raises(SourceError, match=r"page 10 .*page cap of 5 pages"):
        pull(http_plan(out, source))
    assert len(api.requests("/articles")) == 1


def test_a_cursor_loop_fails_the_run(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(
        body={
            "items": [{"id": seen.query.get("cursor", "0")}],
            "paging": {"next_cursor": "b" if seen.query.get("cursor") == "a" else "a"},
        }
    )
    with pytest.raises(
        SourceError, match=r"page 3 .*cursor=b\): the API returned the cursor 'a' again \(first after page 1\)"
    ):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))


def test_a_next_link_loop_fails_the_run(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(
        body={
            "items": [{"id": "x"}],
            "links": {"next": "/articles?page=2" if seen.query.get("page") != "2" else "/articles"},
        }
    )
    with pytest.raises(SourceError, match=r"page 2 .*already read \(page 1\)"):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=NEXT_LINK)))


def test_a_next_link_to_another_host_is_refused(api: ApiServer, other_host: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(
        body={"items": [{"id": "x"}], "links": {"next": other_host.url("/steal", host="localhost")}}
    )
    with pytest.raises(SourceError, match=r"leaves 127\.0\.0\.1; credentials are never sent to another host"):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=NEXT_LINK)))
    assert other_host.requests() == []


def test_a_page_that_repeats_the_previous_one_fails_the_run(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(body={"items": records(10)})  # ignores ?page=
    with pytest.raises(SourceError, match=r"page 2 .*repeats the records of page 1"):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=page_number())))


@pytest.mark.parametrize("concurrency", [1, 3])
def test_fewer_records_than_announced_fail_the_run(concurrency: int, api: ApiServer, out: str) -> None:
    data = records(45)

    def shrinking(seen: Seen) -> Reply:  # a record is deleted while paging: the rest shift one place forward
        start = int(seen.query["offset"])
        items = data if start == 0 else data[1:]
        return Reply(body={"items": items[start : start + 10], "meta": {"total": len(items) if start else 45}})

    api.routes["/articles"] = shrinking
    with pytest.raises(SourceError, match=r"announced 45 records .* held 44; records changed while paging"):
        pull(
            http_plan(
                out, http_source(api.url("/articles"), pagination=offset(total="meta.total", concurrency=concurrency))
            )
        )


def test_a_total_that_is_not_a_number_fails_on_page_one(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(body={"items": records(10), "meta": {"total": "many"}})
    with pytest.raises(SourceError, match=r"page 1 .*the total at 'meta.total' \(pagination.totalPath\) is 'many'"):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=offset(total="meta.total"))))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_pages_on_a_terminal(api: ApiServer, out: str) -> None:
    PagedApi(api, "/articles", "cursor", records(30), page_size=10)
    stream = Terminal()
    line = progress_printer(stream, unit="records")
    assert line is not None
    pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)), progress=line)
    line(30)  # the engine's call with the records staged
    shown = stream.getvalue()
    assert shown.startswith("\r  extracted 0 records (0 records/s), 1 page\x1b[K")  # drawn by the first page
    assert shown.endswith(" records/s), 3 pages\x1b[K")
    assert "\r  extracted 30 records (" in shown
    assert progress_printer(io.StringIO()) is None  # not a terminal (or --json): no line at all


def test_records_reach_the_engine_in_bounded_batches(api: ApiServer, out: str) -> None:
    from runtime.sources.http.pull import BATCH_RECORDS

    PagedApi(api, "/articles", "cursor", records(BATCH_RECORDS * 2 + 50), page_size=100)
    result = pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))
    assert len(result.records) == BATCH_RECORDS * 2 + 50
    assert result.batches == 3  # two full batches and the rest: never one batch per run, nor one per page
