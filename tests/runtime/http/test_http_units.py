"""Narrow unit tests of the rest_pull pieces: respx stands in for the API where only the request matters."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pytest
import respx

from compiler.plan import LinkHeaderPagination, OAuth, Secret
from runtime.errors import ConfigError, SourceError
from runtime.sources.base import json_records
from runtime.sources.http.auth import ClientCredentials
from runtime.sources.http.pull import records_batch
from runtime.sources.http.records import PageParser, lookup_path, parse_page, records_of
from runtime.sources.http.retry import retry_after_seconds
from runtime.state.watermark import Watermark
from tests.runtime.http.httpplans import http_plan, http_source, pull

URL = "https://api.example.com/items"
OUT = "file:///tmp/unused"
CHECKPOINT = Watermark(field="updated_at", type="VARCHAR", text="2024-02-01T00:00:00Z")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("-3", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    now = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.UTC)
    assert retry_after_seconds(value, now) == expected


@pytest.mark.parametrize(
    ("body", "path", "count"),
    [([{"a": 1}, {"a": 2}], None, 2), ({"items": [{"a": 1}]}, None, 1), ({"d": {"r": []}}, "d.r", 0)],
)
def test_records_of(body: Any, path: str | None, count: int) -> None:
    assert len(records_of(body, path, "page 1")) == count


def test_records_are_compact_json_texts() -> None:
    page = parse_page(b'{"items": [{"id": 1, "t": "\\u00e9", "n": {"x": [true, null]}}]}', None, "page 1", None)
    assert page.records == ['{"id":1,"t":"é","n":{"x":[true,null]}}'.encode()]


PAGES = [  # (body, recordsPath, the paths a pager reads)
    (
        b'{"meta": {"total": 3}, "items": [{"id": 1}, {"id": 2, "t": "\\u00e9"}], "other": [1, {"x": 2}]}',
        None,
        ["meta.total"],
    ),
    (b'  [ {"id": 1} ,\n {"id": 2, "n": {"x": [true, null]}} ]', None, []),
    (b'{"data": {"results": [{"id": "a"}], "next": "c2"}, "links": {"self": "/x"}}', "data.results", ["data.next"]),
    (b'{"data": {"results": [], "next": null}}', "data.results", ["data.next", "paging.cursor"]),
    (b'{"data": {"results": [{"id": 7}]}, "big": 123456789012345678901234567890}', "data.results", ["big"]),
    (b'{"data": {"results": [{"id": 7}]}}', "data.results", ["data"]),  # paths overlap: the full parse
    (b'{"items": [{"id": 1}], "next": {"deep": 1}}', None, ["next.deep.er"]),  # not an object on the way
]


@pytest.mark.parametrize(("body", "path", "reads"), PAGES)
def test_the_page_parser_reads_what_the_full_parse_reads(body: bytes, path: str | None, reads: list[str]) -> None:
    fast = PageParser(path, reads).parse(body, "page 1", None)
    full = parse_page(body, path, "page 1", None)
    assert [json.loads(bytes(r)) for r in fast.records] == [json.loads(r) for r in full.records]
    for read in reads:
        assert lookup_path(fast.body, read) == lookup_path(full.body, read)


def test_the_page_parser_keeps_each_record_as_the_api_sent_it() -> None:
    body = b'{"total": 2, "items": [ {"id": 1, "t": "\\u00e9"},\n  {"id" : 2} ]}'
    page = PageParser(None, ["total"]).parse(body, "page 1", None)
    assert [bytes(r) for r in page.records] == [b'{"id": 1, "t": "\\u00e9"}', b'{"id" : 2}']  # spans, not re-encoded
    assert page.body["total"] == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"items": {"id": 1}}', r"page 1: the response is an object \(keys: items\), neither an array"),
        (b'{"meta": {"total": 2}}', "page 1: the response is an object \\(keys: meta\\)"),
        (b'{"items": [1]', "page 1: the response is not JSON"),
        (b'{"items": [], "meta": {"total": 1e999}}', "page 1: the response is not JSON"),
        (b"<html>", "page 1: the response is not JSON"),
    ],
)
def test_a_page_the_parser_cannot_read_gets_the_full_parse_and_its_error(body: bytes, expected: str) -> None:
    with pytest.raises(SourceError, match=expected):
        PageParser(None, ["meta.total"]).parse(body, "page 1", None)


def test_nan_is_not_json() -> None:
    with pytest.raises(SourceError, match="not JSON"):
        parse_page(b'[{"id": 12345678901234567890123, "x": NaN}]', None, "page 1", None)


@respx.mock
def test_incremental_get_sends_the_checkpoint_as_the_query_parameter() -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=[{"id": "1"}]))
    plan = http_plan(
        OUT,
        http_source(URL, watermark_param="updated_since"),
        kind="incremental",
        policy="soft_delete_only",
        watermark_field="updated_at",
    )
    result = pull(plan, checkpoint=CHECKPOINT)
    assert route.calls.last.request.url.params["updated_since"] == "2024-02-01T00:00:00Z"
    assert not result.outcome.complete


@respx.mock
def test_the_first_incremental_run_sends_no_checkpoint_and_is_not_complete() -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=[]))
    plan = http_plan(
        OUT,
        http_source(URL, watermark_param="updated_since"),
        kind="incremental",
        policy="soft_delete_only",
        watermark_field="updated_at",
    )
    result = pull(plan, checkpoint=None)
    assert "updated_since" not in route.calls.last.request.url.params
    assert not result.outcome.complete


@respx.mock
def test_a_snapshot_never_sends_the_checkpoint() -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=[]))
    result = pull(http_plan(OUT, http_source(URL), watermark_field="updated_at"), checkpoint=CHECKPOINT)
    assert route.calls.last.request.url.params == httpx.QueryParams()
    assert result.outcome.complete


@respx.mock
@pytest.mark.parametrize(
    ("wm_type", "text", "sent"),
    [("VARCHAR", "2024-02-01T00:00:00Z", "2024-02-01T00:00:00Z"), ("BIGINT", "42", 42), ("DOUBLE", "1.5", 1.5)],
)
def test_post_sends_the_checkpoint_in_the_body_in_its_json_type(wm_type: str, text: str, sent: Any) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, json={"items": []}))
    source = http_source(
        URL, method="POST", body_json='{"filter":{"status":"live"}}', watermark_body_field="filter.since"
    )
    plan = http_plan(OUT, source, kind="incremental", policy="never_delete", watermark_field="v")
    pull(plan, checkpoint=Watermark(field="v", type=wm_type, text=text))
    request = route.calls.last.request
    assert json.loads(request.content) == {"filter": {"status": "live", "since": sent}}
    assert request.headers["content-type"] == "application/json"


@respx.mock
def test_a_body_field_through_a_non_object_is_a_config_error() -> None:
    respx.post(URL).mock(return_value=httpx.Response(200, json=[]))
    source = http_source(URL, method="POST", body_json='{"filter":"live"}', watermark_body_field="filter.since")
    plan = http_plan(OUT, source, kind="incremental", policy="never_delete", watermark_field="v")
    with pytest.raises(ConfigError, match="runs through 'filter', which is not an object"):
        pull(plan, checkpoint=CHECKPOINT)


@respx.mock
def test_a_relative_link_header_is_resolved_against_the_page() -> None:
    second = respx.get(URL, params={"page": "2"}).mock(return_value=httpx.Response(200, json=[{"id": "2"}]))
    link = {"Link": '</items?page=2>; rel="next", </items?page=9>; rel="last"'}
    respx.get(URL).mock(return_value=httpx.Response(200, json=[{"id": "1"}], headers=link))
    result = pull(http_plan(OUT, http_source(URL, pagination=LinkHeaderPagination(strategy="link_header"))))
    assert [r["id"] for r in result.records] == ["1", "2"]
    assert second.called


def test_the_token_is_cached_until_shortly_before_it_expires() -> None:
    now = [0.0]
    sent: list[httpx.Request] = []

    def send(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"access_token": f"t{len(sent)}", "expires_in": 3600}, request=request)

    oauth = OAuth("https://auth.example.com/token", "id", Secret("s", "SECRET_S"), (), None, "client_secret_post")
    credentials = ClientCredentials(oauth, "pw", send, clock=lambda: now[0])
    assert credentials.authorization() == "Bearer t1"
    now[0] = 3539.0
    assert credentials.authorization() == "Bearer t1"
    now[0] = 3541.0  # within a minute of expiry
    assert credentials.authorization() == "Bearer t2"
    assert credentials.renew("Bearer t1")  # someone else already renewed: no new request
    assert len(sent) == 2
    assert credentials.renew("Bearer t2")
    assert credentials.authorization() == "Bearer t3"


def test_records_batch_equals_json_records() -> None:
    texts = [b'{"a":1}', '{"é":"ü"}'.encode(), b"{}"]
    assert records_batch(texts).equals(json_records(texts))
    assert records_batch([]).equals(json_records([]))
    with pytest.raises(pa.ArrowInvalid):
        records_batch([b'{"a":"\xff"}'])  # never a batch of invalid UTF-8


def test_reading_ahead_keeps_order_raises_errors_and_stops() -> None:
    from runtime.sources.http.ahead import Ahead

    produced: list[int] = []

    def numbers(fail_at: int | None = None) -> Iterator[int]:
        for n in range(100):
            if n == fail_at:
                raise SourceError("page 7 failed")
            produced.append(n)
            yield n

    assert list(Ahead(numbers(), 2)) == list(range(100))
    with pytest.raises(SourceError, match="page 7 failed"):
        list(Ahead(numbers(fail_at=7), 2))
    produced.clear()
    ahead = Ahead(numbers(), 2)
    assert next(iter(ahead)) == 0
    ahead.stop(timeout=5)
    assert len(produced) <= 4  # bounded: the one taken, two queued, one waiting to be queued
