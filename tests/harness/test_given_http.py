"""rest_pull cases: the runtime's real HttpPull against the harness's in-process server (`given.pages`/`records`)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from compiler.plan import (
    CursorPagination,
    HttpSource,
    LinkHeaderPagination,
    NextLinkPagination,
    NoPagination,
    OffsetPagination,
    PageNumberPagination,
    Pagination,
    Plan,
)
from runtime.errors import SourceError
from runtime.harness.case import load_case
from runtime.harness.given import HarnessRun, prepare
from runtime.harness.given.http import RestServer, ServedPull, before
from runtime.harness.runner import harness_plan, run_case
from runtime.sources.base import RECORD_COLUMN, PullContext
from runtime.state.watermark import Watermark
from tests.runtime.http.httpplans import http_plan, http_source

URL = "https://api.example.com/v2/items"
RECORDS = [
    {"id": f"r{n}", "title": f"Item {n}", "body": "text", "updated": f"2024-01-0{n}T00:00:00Z"} for n in range(1, 6)
]

STYLES: dict[str, Pagination] = {
    "none": NoPagination(strategy="none"),
    "cursor": CursorPagination(strategy="cursor", cursor_param="after", next_cursor_path="meta.next"),
    "next_link": NextLinkPagination(strategy="next_link", next_link_path="links.next"),
    "link_header": LinkHeaderPagination(strategy="link_header"),
    "page_number": PageNumberPagination(
        strategy="page_number",
        page_param="page",
        start_page=1,
        page_size_param="per_page",
        page_size=2,
        total_path=None,
        concurrency=1,
    ),
    "page_number_total": PageNumberPagination(
        strategy="page_number",
        page_param="p",
        start_page=0,
        page_size_param=None,
        page_size=None,
        total_path="meta.total",
        concurrency=1,
    ),
    "offset": OffsetPagination(
        strategy="offset", offset_param="skip", limit_param="take", page_size=2, total_path=None, concurrency=1
    ),
    "offset_total_concurrent": OffsetPagination(
        strategy="offset", offset_param="skip", limit_param="take", page_size=2, total_path="total", concurrency=3
    ),
}


def context(plan: Plan, checkpoint: Watermark | None = None) -> PullContext:
    return PullContext(
        plan=plan,
        secrets={"api-token": "tok"},
        checkpoint=checkpoint,
        state=duckdb.connect(),
        has_state=False,
        dry_run=False,
    )


def served(source: HttpSource, **given: Any) -> tuple[Plan, ServedPull]:
    plan = http_plan("file:///unused", source)
    case = tmp_case(given)
    prepared = prepare(plan, case, case.runs[0], HarnessRun(Path("."), Path("."), Path("."), Path(".")))
    assert isinstance(prepared.open_pull, ServedPull)
    return plan, prepared.open_pull


_TMP: list[Path] = []


def tmp_case(given: dict[str, Any], fail: str | None = None) -> Any:
    path = _TMP[-1] / "case.yaml"
    run: dict[str, Any] = {"given": {**given, **({"fail": fail} if fail else {})}, "expect": {"upserted": []}}
    path.write_text(json.dumps({"connector": "articles", "runs": [run]}))
    return load_case(path)


@pytest.fixture(autouse=True)
def _tmp(tmp_path: Path) -> None:
    _TMP.append(tmp_path)


def pulled(plan: Plan, open_pull: ServedPull, checkpoint: Watermark | None = None) -> list[dict[str, Any]]:
    source_pull = open_pull(context(plan, checkpoint))
    try:
        records: list[dict[str, Any]] = []
        for batch in source_pull.batches():
            records += [json.loads(text) for text in batch.column(RECORD_COLUMN).to_pylist()]
        return records
    finally:
        source_pull.close()


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("records_path", [None, "data.results"])
def test_every_pagination_style_serves_every_record_once(style: str, records_path: str | None) -> None:
    source = http_source(URL, pagination=STYLES[style], records_path=records_path)
    plan, open_pull = served(source, records=RECORDS)
    assert pulled(plan, open_pull) == RECORDS
    requests = open_pull.server.requests
    assert len(requests) == (1 if style == "none" else 3), requests  # 5 records, 2 a page
    assert all(r.startswith("GET /v2/items") for r in requests)


def test_pages_of_the_counting_styles_follow_the_plan_parameters() -> None:
    plan, open_pull = served(http_source(URL, pagination=STYLES["offset"]), records=RECORDS)
    pulled(plan, open_pull)
    assert open_pull.server.requests == [
        "GET /v2/items?skip=0&take=2",
        "GET /v2/items?skip=2&take=2",
        "GET /v2/items?skip=4&take=2",
    ]


def test_the_watermark_param_filters_records_before_the_checkpoint_and_keeps_those_at_it() -> None:
    source = http_source(URL, watermark_param="since", pagination=STYLES["cursor"])
    plan = dataclasses.replace(
        http_plan("file:///unused", source, kind="incremental", watermark_field="updated"),
    )
    case = tmp_case({"records": RECORDS})
    prepared = prepare(plan, case, case.runs[0], HarnessRun(Path("."), Path("."), Path("."), Path(".")))
    assert isinstance(prepared.open_pull, ServedPull)
    mark = Watermark(field="updated", type="VARCHAR", text="2024-01-04T00:00:00Z", json=True)
    assert [r["id"] for r in pulled(plan, prepared.open_pull, mark)] == ["r4", "r5"]
    assert prepared.open_pull.server.requests[0] == "GET /v2/items?since=2024-01-04T00%3A00%3A00Z"


def test_the_watermark_body_field_filters_too() -> None:
    source = http_source(URL, method="POST", body_json='{"q": "all"}', watermark_body_field="filter.after")
    plan = http_plan("file:///unused", source, kind="incremental", watermark_field="updated")
    case = tmp_case({"records": RECORDS})
    prepared = prepare(plan, case, case.runs[0], HarnessRun(Path("."), Path("."), Path("."), Path(".")))
    assert isinstance(prepared.open_pull, ServedPull)
    mark = Watermark(field="updated", type="VARCHAR", text="2024-01-05T00:00:00Z", json=True)
    assert [r["id"] for r in pulled(plan, prepared.open_pull, mark)] == ["r5"]


@pytest.mark.parametrize(
    ("value", "sent", "is_before"),
    [
        (9, "10", True),  # numbers as numbers, not text
        (10, "10", False),  # at the checkpoint: returned again
        ("2024-01-01 10:00:00", "2024-01-01T09:00:00Z", False),  # instants, naive as UTC
        ("2024-01-01T08:00:00+00:00", "2024-01-01T09:00:00Z", True),
        ("b", "a", False),
    ],
)
def test_before(value: Any, sent: str, is_before: bool) -> None:
    assert before(value, sent) is is_before


PAGES = [
    {"request": {"path": "/v2/items"}, "response": {"status": 503, "body": {"error": "busy"}}},
    {"request": {"path": "/v2/items"}, "response": {"body": {"items": RECORDS[:1], "meta": {"next": "x"}}}},
    {"request": {"path": "/v2/items", "query": {"after": "x"}}, "response": {"body": {"items": RECORDS[1:2]}}},
]


def test_pages_are_matched_by_request_and_a_5xx_runs_the_real_retries_without_sleeping() -> None:
    plan, open_pull = served(http_source(URL, pagination=STYLES["cursor"]), pages=PAGES)
    assert [r["id"] for r in pulled(plan, open_pull)] == ["r1", "r2"]
    assert open_pull.server.requests == ["GET /v2/items", "GET /v2/items", "GET /v2/items?after=x"]
    assert len(open_pull.server.sleeps) == 1  # one backoff asked for by the policy, not slept


def test_a_page_failing_every_attempt_fails_after_the_plan_retries() -> None:
    pages = [PAGES[1], {"request": {"query": {"after": "x"}, "path": "/v2/items"}, "response": {"status": 500}}]
    plan, open_pull = served(http_source(URL, pagination=STYLES["cursor"]), pages=pages)
    with pytest.raises(SourceError, match=r"page 2 .*HTTP 500 Internal Server Error, still after 4 attempts"):
        pulled(plan, open_pull)
    assert len(open_pull.server.requests) == 5  # page 1, then page 2 four times (FAST_RETRY.attempts)


def test_an_unmatched_request_names_it_and_lists_what_the_case_serves() -> None:
    pages = [PAGES[1]]  # announces cursor x, which no page serves
    plan, open_pull = served(http_source(URL, pagination=STYLES["cursor"]), pages=pages)
    with pytest.raises(SourceError) as caught:
        pulled(plan, open_pull)
    message = str(caught.value)
    assert "the case serves no response for GET /v2/items?after=x" in message
    assert "given.pages serve: GET /v2/items -> 200" in message


@pytest.mark.parametrize("style", sorted(STYLES))
def test_fail_drops_the_connection_after_the_records(style: str) -> None:
    source = http_source(URL, pagination=STYLES[style])
    plan = http_plan("file:///unused", source)
    case = tmp_case({"records": RECORDS[:4]}, fail="socket closed")
    prepared = prepare(plan, case, case.runs[0], HarnessRun(Path("."), Path("."), Path("."), Path(".")))
    assert isinstance(prepared.open_pull, ServedPull)
    with pytest.raises(SourceError, match=r"ConnectError: the connection dropped \(given.fail\): socket closed"):
        pulled(plan, prepared.open_pull)
    served_requests = prepared.open_pull.server.requests
    assert len(served_requests) == (4 if style == "none" else 6)  # the failing request is retried (4 attempts)


def test_no_other_host_is_served() -> None:
    server = RestServer(http_source(URL), None, records=[])
    with pytest.raises(SourceError, match=r"requested elsewhere\.example\.com"):
        server.handle(httpx.Request("GET", "https://elsewhere.example.com/v2/items"))


# --- whole cases through the engine ---------------------------------------------------------------------------


def test_a_two_run_case_passes_and_a_wrong_expectation_fails(tmp_path: Path) -> None:
    source = http_source(URL, pagination=STYLES["link_header"])
    plan = http_plan("file:///unused", source, policy="auto_delete_missing")
    text = """\
        connector: articles
        runs:
          - given:
              records:
                - {id: a, title: A, body: x}
                - {id: b, title: B, body: y}
                - {id: c, title: C, body: z}
            expect:
              fields: subset
              upserted: [{id: a, title: A}, {id: b, title: B}, {id: c, title: C}]
          - given:
              records:
                - {id: a, title: A2, body: x}
                - {id: b, title: B, body: y}
            expect:
              fields: subset
              upserted: [{id: a, title: A2}]
              deleted: [c]
        """
    path = tmp_path / "case.yaml"
    path.write_text(textwrap.dedent(text))
    result = run_case(load_case(path), plan, tmp_path)
    assert result.passed, (result.error, [r.differences for r in result.runs])
    path.write_text(textwrap.dedent(text).replace("deleted: [c]", "deleted: []"))
    assert not run_case(load_case(path), plan, tmp_path).passed


def test_an_unmatched_request_fails_the_case_with_its_message(tmp_path: Path) -> None:
    plan = http_plan("file:///unused", http_source(URL))
    path = tmp_path / "case.yaml"
    path.write_text(
        textwrap.dedent("""\
        connector: articles
        runs:
          - given:
              pages:
                - request: {path: /v1/items}
                  response: {body: []}
            expect:
              upserted: []
        """)
    )
    result = run_case(load_case(path), plan, tmp_path)
    assert not result.passed
    shown = json.dumps([[str(d) for d in r.differences] for r in result.runs])
    assert "the case serves no response for GET /v2/items" in shown
    assert "GET /v1/items -> 200" in shown


def test_the_harness_plan_keeps_the_retry_policy() -> None:
    plan = http_plan("file:///unused", http_source(URL))
    planned = harness_plan(plan, Path("/tmp/bucket"))
    assert isinstance(planned.source, HttpSource)
    assert planned.source.retry == plan.source.retry  # no waiting comes from the injected sleep, not the plan


def test_no_socket_is_opened_for_a_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a case opened a connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    plan = http_plan("file:///unused", http_source("https://kb.example.com/api/articles"))
    path = tmp_path / "case.yaml"
    path.write_text(
        '{"connector": "articles", "runs": [{"given": {"records": [{"id": 1, "title": "T", "body": "b"}]},'
        ' "expect": {"fields": "subset", "upserted": [{"id": "1"}]}}]}'
    )
    result = run_case(load_case(path), plan, tmp_path)
    assert result.passed, (result.error, [r.differences for r in result.runs])


@pytest.mark.parametrize("connector", ["kb-rest", "support-push"])
def test_the_scaffolded_starter_runs_and_passes(tmp_path: Path, connector: str) -> None:
    repository = Path(__file__).resolve().parents[2]
    (tmp_path / "connectors").mkdir()
    shutil.copy(repository / "connectors" / f"{connector}.yaml", tmp_path / "connectors")
    command = [sys.executable, "-m", "runtime", "test", "--root", str(tmp_path)]
    subprocess.run([*command, "--scaffold", connector], cwd=tmp_path, capture_output=True, check=False)
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"PASS {connector}/starter (2 run(s)" in again.stdout
