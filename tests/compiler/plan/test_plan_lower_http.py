"""rest_pull lowering beyond the defaults: every pagination style, the watermark's place, OAuth's secret, and the
exhaustive mode dispatch."""

from __future__ import annotations

from typing import Any

import pytest
from plan_fixtures import connector, lowered

from compiler.analysis.extraction import infer_extraction
from compiler.lower import LoweringError
from compiler.plan import (
    HttpSource,
    LinkHeaderPagination,
    NextLinkPagination,
    OffsetPagination,
    PageNumberPagination,
    Pagination,
    Secret,
)


def _source(**fields: Any) -> HttpSource:
    data = connector("rest_pull")
    data["spec"]["source"].update(fields)
    source = lowered(data).source
    assert isinstance(source, HttpSource)
    return source


def _pagination(settings: dict[str, Any]) -> Pagination:
    return _source(pagination=settings).pagination


def test_next_link() -> None:
    assert _pagination({"style": "next_link", "nextLinkPath": "links.next"}) == NextLinkPagination(
        strategy="next_link", next_link_path="links.next"
    )


def test_link_header() -> None:
    assert _pagination({"style": "link_header"}) == LinkHeaderPagination(strategy="link_header")


def test_page_number_defaults() -> None:
    assert _pagination({"style": "page_number"}) == PageNumberPagination(
        strategy="page_number",
        page_param="page",
        start_page=1,
        page_size_param=None,
        page_size=None,
        total_path=None,
        concurrency=1,
    )


def test_page_number_everything_set() -> None:
    settings = {
        "style": "page_number",
        "pageParam": "p",
        "startPage": 0,
        "pageSizeParam": "per_page",
        "pageSize": 50,
        "totalPath": "meta.total",
        "concurrency": 4,
    }
    assert _pagination(settings) == PageNumberPagination("page_number", "p", 0, "per_page", 50, "meta.total", 4)


def test_offset_defaults_and_overrides() -> None:
    assert _pagination({"style": "offset", "pageSize": 100}) == OffsetPagination(
        strategy="offset", offset_param="offset", limit_param="limit", page_size=100, total_path=None, concurrency=1
    )
    custom = {"style": "offset", "pageSize": 10, "offsetParam": "skip", "limitParam": "take", "totalPath": "n"}
    assert _pagination({**custom, "concurrency": 3}) == OffsetPagination("offset", "skip", "take", 10, "n", 3)


@pytest.mark.parametrize(
    ("fields", "pointer", "message"),
    [
        ({"pagination": {"style": "next_link"}}, "/spec/source/pagination", "needs nextLinkPath"),
        ({"pagination": {"style": "offset"}}, "/spec/source/pagination", "needs pageSize"),
        (
            {"pagination": {"style": "page_number", "pageSizeParam": "n"}},
            "/spec/source/pagination/pageSizeParam",
            "needs pageSize",
        ),
        (
            {"pagination": {"style": "page_number", "pageSize": 5, "concurrency": 2}},
            "/spec/source/pagination/concurrency",
            "totalPath",
        ),
        (
            {"pagination": {"style": "link_header"}, "paginationCursorField": "c"},
            "/spec/source/pagination",
            "not both",
        ),
        ({"watermarkBodyField": "since"}, "/spec/source/watermarkBodyField", "needs method POST"),
        (
            {"method": "POST", "watermarkBodyField": "since", "watermarkParam": "since"},
            "/spec/source/watermarkBodyField",
            "not both",
        ),
    ],
)
def test_inconsistent_settings_are_refused(fields: dict[str, Any], pointer: str, message: str) -> None:
    data = connector("rest_pull")
    data["spec"]["source"].update(fields)
    with pytest.raises(LoweringError, match=message) as caught:
        lowered(data)
    assert caught.value.pointer == pointer


def test_watermark_in_the_post_body_makes_the_pull_incremental() -> None:
    data = connector("rest_pull")
    data["spec"]["source"].update(
        method="POST", payload={"filter": {"status": "live"}}, watermarkField="updated_at", watermarkBodyField="f.since"
    )
    plan = lowered(data)
    assert isinstance(plan.source, HttpSource)
    assert (plan.source.watermark_param, plan.source.watermark_body_field) == (None, "f.since")
    assert (plan.extraction.kind, plan.extraction.watermark_field) == ("incremental", "updated_at")
    assert "body field 'f.since'" in plan.extraction.reason


def test_a_watermark_field_alone_is_a_snapshot() -> None:
    data = connector("rest_pull")
    data["spec"]["source"]["watermarkField"] = "updated_at"
    plan = lowered(data)
    assert plan.extraction.kind == "snapshot"
    assert plan.extraction.watermark_field == "updated_at"  # still recorded as the checkpoint
    assert isinstance(plan.source, HttpSource)
    assert plan.source.watermark_param is None


def test_oauth_client_secret_defaults_to_secret_ref() -> None:
    data = connector("rest_pull")
    data["spec"]["source"]["oauth"] = {"tokenUrl": "https://auth.example.com/token", "clientId": "sync"}
    plan = lowered(data)
    assert isinstance(plan.source, HttpSource)
    assert plan.source.oauth is not None
    assert plan.source.oauth.client_secret == Secret("api-token", "SECRET_API_TOKEN")
    assert plan.secrets == (Secret("api-token", "SECRET_API_TOKEN"),)


def test_an_unknown_mode_is_an_error_never_a_fallback() -> None:
    data = connector("rest_push")
    data["spec"]["mode"] = "ftp_pull"
    with pytest.raises(AssertionError, match="ftp_pull"):
        lowered(data)
    with pytest.raises(AssertionError, match="ftp_pull"):
        infer_extraction(data["spec"])


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        (
            {"style": "next_link", "nextLinkPath": "links.next"},
            "pagination next link at links.next, at most 10000 pages",
        ),
        ({"style": "link_header"}, 'pagination Link header rel="next"'),
        (
            {"style": "page_number", "pageSizeParam": "n", "pageSize": 50, "totalPath": "t", "concurrency": 3},
            "pagination page number ?page=1,2,...&n=50, total at t, 3 pages at a time",
        ),
        ({"style": "offset", "pageSize": 20}, "pagination offset ?offset=0,20,...&limit=20, at most"),
    ],
)
def test_compiler_show_describes_the_pagination(settings: dict[str, Any], shown: str) -> None:
    from compiler.emit.plan_summary import summarise

    data = connector("rest_pull")
    data["spec"]["source"].update(pagination=settings, runTimeoutSeconds=90)
    text = summarise(lowered(data))
    assert shown in text
    assert "whole run 90 s" in text
