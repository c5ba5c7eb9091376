"""Transient failures are retried as the policy says; everything else fails the run with one line naming the page
and its URL, never the token. Against a real server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import email.utils
import time
from collections.abc import Callable

import pytest

from compiler.plan import CursorPagination
from runtime.errors import SourceError
from tests.runtime.http.api_server import ApiServer, PagedApi, Reply, Seen, records
from tests.runtime.http.httpplans import FAST_RETRY, TOKEN, http_plan, http_source, pull

CURSOR = CursorPagination(strategy="cursor", cursor_param="cursor", next_cursor_path="paging.next_cursor")


def failing_first(times: int, reply: Reply, then: Callable[[Seen], Reply]) -> Callable[[Seen], Reply]:
    """A route that answers `reply` to its first `times` requests, then behaves like `then`."""
    count = {"n": 0}

    def route(seen: Seen) -> Reply:
        count["n"] += 1
        return reply if count["n"] <= times else then(seen)

    return route


def test_429_waits_as_long_as_retry_after_says(api: ApiServer, out: str) -> None:
    paged = PagedApi(api, "/articles", "cursor", records(25), page_size=10)
    api.routes["/articles"] = failing_first(1, Reply(429, {"error": "slow down"}, {"Retry-After": "0"}), paged.route)
    sleeps: list[float] = []
    result = pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)), sleeps=sleeps)
    assert len(result.records) == 25
    assert sleeps == [0.0]  # the server's wish, not the backoff
    assert "1 retried request" in result.notes[0]


def test_retry_after_as_an_http_date_is_honoured_up_to_the_cap(api: ApiServer, out: str) -> None:
    paged = PagedApi(api, "/articles", "none", records(3))
    when = email.utils.formatdate(time.time() + 120, usegmt=True)  # two minutes: more than maxBackoffSeconds
    api.routes["/articles"] = failing_first(1, Reply(503, b"busy", {"Retry-After": when}), paged.route)
    sleeps: list[float] = []
    pull(http_plan(out, http_source(api.url("/articles"))), sleeps=sleeps)
    assert sleeps == [FAST_RETRY.max_backoff_seconds]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_transient_5xx_is_retried_with_backoff(status: int, api: ApiServer, out: str) -> None:
    paged = PagedApi(api, "/articles", "cursor", records(25), page_size=10)
    api.routes["/articles"] = failing_first(2, Reply(status, {"error": "oops"}), paged.route)
    sleeps: list[float] = []
    result = pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)), sleeps=sleeps)
    assert len(result.records) == 25
    assert len(sleeps) == 2
    assert all(FAST_RETRY.initial_backoff_seconds <= s <= FAST_RETRY.max_backoff_seconds for s in sleeps)


def test_persistent_5xx_fails_after_the_attempts_naming_the_page(api: ApiServer, out: str) -> None:
    paged = PagedApi(api, "/articles", "cursor", records(25), page_size=10)

    def second_page_down(seen: Seen) -> Reply:
        return Reply(503, {"error": "down"}) if seen.query.get("cursor") == "10" else paged.route(seen)

    api.routes["/articles"] = second_page_down
    with pytest.raises(SourceError) as caught:
        pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))
    message = str(caught.value)
    assert (
        f"page 2 (GET {api.url('/articles')}?cursor=10): HTTP 503 Service Unavailable, still after 4 attempts"
        in message
    )
    assert "nothing was changed" in message
    assert TOKEN not in message
    assert len(api.requests("/articles")) == 1 + FAST_RETRY.attempts


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_4xx_is_never_retried(status: int, api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(status, {"error": "no such thing"})
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=rf"page 1 \(GET http://127\.0\.0\.1:\d+/articles\): HTTP {status}") as caught:
        pull(http_plan(out, http_source(api.url("/articles"))), sleeps=sleeps)
    assert len(api.requests("/articles")) == 1
    assert sleeps == []
    if status == 403:
        assert "check the secret 'api-token'" in str(caught.value)
    else:
        assert "no such thing" in str(caught.value)  # the API's own words help


def test_a_response_slower_than_the_timeout_fails_the_run(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(body={"items": []}, delay=2.0)
    source = http_source(
        api.url("/articles"), read_timeout_seconds=0.2, retry=dataclasses.replace(FAST_RETRY, attempts=2)
    )
    started = time.monotonic()
    with pytest.raises(
        SourceError, match=r"page 1 \(GET .*/articles\): no response within 0.2 s \(timeoutSeconds\), after 2 attempts"
    ):
        pull(http_plan(out, source))
    assert time.monotonic() - started < 1.5


def test_the_whole_run_has_a_time_limit(api: ApiServer, out: str) -> None:
    paged = PagedApi(api, "/articles", "cursor", records(100), page_size=10)
    api.routes["/articles"] = lambda seen: Reply(**{**vars(paged.route(seen)), "delay": 0.1})
    source = http_source(api.url("/articles"), pagination=CURSOR, run_timeout_seconds=0.35)
    with pytest.raises(
        SourceError, match=r"page \d .*(time limit of 0.35 s \(runTimeoutSeconds\) has passed|no response within)"
    ):
        pull(http_plan(out, source))
    assert len(api.requests("/articles")) < 10


def test_a_refused_connection_is_retried_then_fails(out: str) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    with pytest.raises(
        SourceError,
        match=rf"page 1 \(GET http://127.0.0.1:{port}/x\): the request failed \(ConnectError.*after 4 attempts",
    ):
        pull(http_plan(out, http_source(f"http://127.0.0.1:{port}/x")), sleeps=sleeps)
    assert len(sleeps) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            b"<html>Maintenance</html>",
            "text/html",
            r"page 2 .*the response \(text/html\) is not JSON .*starts with '<html>Maintenance</html>'",
        ),
        (b'{"items": [1, 2', "application/json", r"page 2 .*is not JSON"),
        (b"", "application/json", r"page 2 .*is not JSON .*it is empty"),
        (
            b'{"data": []}',
            "application/json",
            r"page 2 .*an object \(keys: data\), neither an array of records nor an object with an 'items' array",
        ),
        (b'{"items": [{"id": 1}, "two"]}', "application/json", r"page 2 .*record 2 is a string, not an object"),
        (b'{"items": null}', "application/json", r"page 2 .*neither an array"),
        (b'{"items": [{"id": 1}, 1e999]}', "application/json", r"page 2 .*record 2 is a number, not an object"),
        (
            b'{"items": [{"id": 1, "t": "caf\xe9"}]}',
            "application/json",
            r"page 2 .*record 1 holds bytes that are not UTF-8",
        ),
        (
            b'{"items": [{"id": 1, "t": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}",
            "application/json",
            "page 2 .*not JSON",
        ),
        (
            b'{"items": [{"id": 1}, {"id": 2,}]}',
            "application/json",
            r"page 2 .*not JSON \(JSON is malformed: trailing comma",
        ),
    ],
)
def test_a_malformed_page_fails_the_run_never_zero_records(
    body: bytes, content_type: str, expected: str, api: ApiServer, out: str
) -> None:
    paged = PagedApi(api, "/articles", "cursor", records(25), page_size=10)

    def broken_second_page(seen: Seen) -> Reply:
        if seen.query.get("cursor") == "10":
            return Reply(200, body, {"Content-Type": content_type})
        return paged.route(seen)

    api.routes["/articles"] = broken_second_page
    with pytest.raises(SourceError, match=expected):
        pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))


def test_a_records_path_the_page_lacks_is_an_error(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(body={"data": {"result": []}})
    with pytest.raises(SourceError, match=r"page 1 .*has no 'data.results' \(recordsPath\)"):
        pull(http_plan(out, http_source(api.url("/articles"), records_path="data.results")))
    api.routes["/articles"] = lambda seen: Reply(body={"data": {"results": {"a": 1}}})
    with pytest.raises(SourceError, match=r"'data.results' \(recordsPath\) is an object \(keys: a\), not an array"):
        pull(http_plan(out, http_source(api.url("/articles"), records_path="data.results")))


def test_integers_beyond_64_bits_survive(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(body=b'[{"id": 123456789012345678901234567890, "title": "big"}]')
    result = pull(http_plan(out, http_source(api.url("/articles"))))
    assert result.records == [{"id": 123456789012345678901234567890, "title": "big"}]
