"""Pagination lowering for `rest_pull`: the cursor fields, or one `pagination` style, into a typed plan class.

The cursor style keeps the earlier tool's two top-level fields; every other style lives under
`spec.source.pagination`. The linter (GS116, GS126) reports inconsistent settings with positions first; the
errors here are the same rules restated for direct callers of lowering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, assert_never, cast

from compiler.lower.draft import LoweringError
from compiler.plan import (
    CursorPagination,
    LinkHeaderPagination,
    NextLinkPagination,
    NoPagination,
    OffsetPagination,
    PageNumberPagination,
    Pagination,
)

PaginationStyle = Literal["next_link", "link_header", "page_number", "offset"]
"""The values of `spec.source.pagination.style`."""

PAGINATION = "/spec/source/pagination"
DEFAULT_PAGE_PARAM = "page"
DEFAULT_START_PAGE = 1
DEFAULT_OFFSET_PARAM = "offset"
DEFAULT_LIMIT_PARAM = "limit"
DEFAULT_CONCURRENCY = 1


def _cursor(source: Mapping[str, Any]) -> Pagination:
    param, path = source.get("paginationCursorField"), source.get("paginationNextCursorJsonPath")
    if param is None and path is None:
        return NoPagination(strategy="none")
    if param is None or path is None:
        missing = "paginationCursorField" if param is None else "paginationNextCursorJsonPath"
        present = "paginationNextCursorJsonPath" if param is None else "paginationCursorField"
        raise LoweringError(
            f"/spec/source/{present}",
            f"cursor pagination needs both paginationCursorField and paginationNextCursorJsonPath; add {missing}",
        )
    return CursorPagination(strategy="cursor", cursor_param=str(param), next_cursor_path=str(path))


def _optional_str(settings: Mapping[str, Any], key: str) -> str | None:
    value = settings.get(key)
    return None if value is None else str(value)


def _concurrency(settings: Mapping[str, Any], page_size: int | None) -> int:
    concurrency = int(settings.get("concurrency", DEFAULT_CONCURRENCY))
    if concurrency > 1 and (settings.get("totalPath") is None or page_size is None):
        raise LoweringError(
            f"{PAGINATION}/concurrency",
            "concurrent page fetching needs the number of pages up front: set pagination.totalPath and pageSize",
        )
    return concurrency


def _styled(settings: Mapping[str, Any]) -> Pagination:
    style = cast(PaginationStyle, settings["style"])
    match style:
        case "next_link":
            path = settings.get("nextLinkPath")
            if path is None:
                raise LoweringError(PAGINATION, "pagination style next_link needs nextLinkPath")
            return NextLinkPagination(strategy="next_link", next_link_path=str(path))
        case "link_header":
            return LinkHeaderPagination(strategy="link_header")
        case "page_number":
            size = settings.get("pageSize")
            page_size = None if size is None else int(size)
            if settings.get("pageSizeParam") is not None and page_size is None:
                raise LoweringError(f"{PAGINATION}/pageSizeParam", "pageSizeParam needs pageSize, the value it sends")
            return PageNumberPagination(
                strategy="page_number",
                page_param=str(settings.get("pageParam", DEFAULT_PAGE_PARAM)),
                start_page=int(settings.get("startPage", DEFAULT_START_PAGE)),
                page_size_param=_optional_str(settings, "pageSizeParam"),
                page_size=page_size,
                total_path=_optional_str(settings, "totalPath"),
                concurrency=_concurrency(settings, page_size),
            )
        case "offset":
            if settings.get("pageSize") is None:
                raise LoweringError(PAGINATION, "pagination style offset needs pageSize, the limit of each page")
            page_size = int(settings["pageSize"])
            return OffsetPagination(
                strategy="offset",
                offset_param=str(settings.get("offsetParam", DEFAULT_OFFSET_PARAM)),
                limit_param=str(settings.get("limitParam", DEFAULT_LIMIT_PARAM)),
                page_size=page_size,
                total_path=_optional_str(settings, "totalPath"),
                concurrency=_concurrency(settings, page_size),
            )
        case _:
            assert_never(style)


def lower_pagination(source: Mapping[str, Any]) -> Pagination:
    """The pagination of a schema-valid rest_pull source."""
    settings = source.get("pagination")
    if settings is None:
        return _cursor(source)
    if "paginationCursorField" in source or "paginationNextCursorJsonPath" in source:
        raise LoweringError(PAGINATION, "set either the cursor fields or pagination, not both: a pull pages in one way")
    return _styled(settings)
