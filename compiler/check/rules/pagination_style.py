"""GS126 pagination-style: the `pagination` settings fit their `style`, and a pull pages in one way only.

Each style reads its own fields: `next_link` needs `nextLinkPath`; `offset` needs `pageSize` (the limit of each
page); `page_number` sends `pageSizeParam` only with a `pageSize`; `concurrency` above 1 needs `totalPath` and
`pageSize`, since pages are fetched side by side only when their number is known. A field of another style, or
the cursor fields next to `pagination`, would be ignored, so they are errors.

**Bad**

```yaml
pagination:
  style: offset
  nextLinkPath: links.next
```

**Good**

```yaml
pagination:
  style: offset
  pageSize: 100
  totalPath: meta.total
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compiler.check.connector import Connector
from compiler.check.finding import Finding
from compiler.load.positions import join

CODE = "GS126"
PAGINATION = "/spec/source/pagination"
CURSOR_FIELDS = ("paginationCursorField", "paginationNextCursorJsonPath")

FIELDS_BY_STYLE: dict[str, frozenset[str]] = {
    "next_link": frozenset({"nextLinkPath"}),
    "link_header": frozenset(),
    "page_number": frozenset({"pageParam", "startPage", "pageSizeParam", "pageSize", "totalPath", "concurrency"}),
    "offset": frozenset({"offsetParam", "limitParam", "pageSize", "totalPath", "concurrency"}),
}


def _style_fields(settings: Mapping[str, Any], style: str) -> Iterator[Finding]:
    allowed = FIELDS_BY_STYLE[style]
    for field in settings:
        if field == "style" or field in allowed:
            continue
        owners = sorted(s for s, fields in FIELDS_BY_STYLE.items() if field in fields)
        yield Finding(
            CODE,
            f"pagination.{field} is not used by style {style} (it belongs to {' and '.join(owners)})",
            join(PAGINATION, field),
            f"remove pagination.{field}, or change pagination.style",
            at_key=True,
        )


def _required(settings: Mapping[str, Any], style: str) -> Iterator[Finding]:
    style_pointer = join(PAGINATION, "style")
    if style == "next_link" and "nextLinkPath" not in settings:
        yield Finding(
            CODE,
            "pagination style next_link needs nextLinkPath, where the next page's URL is in a response",
            style_pointer,
            "add pagination.nextLinkPath, e.g. links.next",
        )
    if style == "offset" and "pageSize" not in settings:
        yield Finding(
            CODE,
            "pagination style offset needs pageSize, the limit of each page",
            style_pointer,
            "add pagination.pageSize, e.g. 100",
        )
    if style == "page_number" and "pageSizeParam" in settings and "pageSize" not in settings:
        yield Finding(
            CODE,
            "pagination.pageSizeParam is set but pageSize, the value it sends, is not",
            join(PAGINATION, "pageSizeParam"),
            "add pagination.pageSize, or remove pageSizeParam",
            at_key=True,
        )
    if settings.get("concurrency", 1) > 1 and style in ("page_number", "offset"):
        missing = [field for field in ("totalPath", "pageSize") if field not in settings]
        if missing:
            yield Finding(
                CODE,
                "pagination.concurrency above 1 needs the number of pages up front, from totalPath and pageSize",
                join(PAGINATION, "concurrency"),
                f"add pagination.{' and pagination.'.join(missing)}, or set concurrency to 1",
            )


def check(connector: Connector) -> Iterator[Finding]:
    settings = connector.source.get("pagination")
    if connector.mode != "rest_pull" or not isinstance(settings, Mapping):
        return
    for field in CURSOR_FIELDS:
        if field in connector.source:
            yield Finding(
                CODE,
                f"{field} (cursor pagination) and pagination are both set; a pull pages in one way",
                f"/spec/source/{field}",
                f"remove {field}, or remove pagination",
                at_key=True,
            )
    style = str(settings["style"])
    yield from _style_fields(settings, style)
    yield from _required(settings, style)
