"""GS127 watermark-request: the checkpoint's place in the request must be clear and possible.

`watermarkBodyField` puts the checkpoint into the POST payload, so it needs `method: POST`; with
`watermarkParam` as well, the checkpoint would be sent twice. A `watermarkParam` that is also a pagination
parameter would be overwritten by the page's own value.

**Bad**

```yaml
method: GET
watermarkField: updated_at
watermarkBodyField: filter.updated_since
```

**Good**

```yaml
method: POST
payload:
  filter:
    status: published
watermarkField: updated_at
watermarkBodyField: filter.updated_since
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compiler.check.connector import Connector
from compiler.check.finding import Finding

CODE = "GS127"
BODY = "/spec/source/watermarkBodyField"

PAGINATION_PARAMS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "page_number": (("pageParam", "page"), ("pageSizeParam", None)),
    "offset": (("offsetParam", "offset"), ("limitParam", "limit")),
}
"""Query parameters each style sends: (field, default when the field is absent)."""


def pagination_params(source: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(query parameter, the field that names it) for every parameter the pagination sends."""
    if "paginationCursorField" in source:
        yield source["paginationCursorField"], "paginationCursorField"
    settings = source.get("pagination") or {}
    for field, default in PAGINATION_PARAMS.get(str(settings.get("style")), ()):
        value = settings.get(field, default)
        if value is not None:
            yield value, f"pagination.{field}"


def check(connector: Connector) -> Iterator[Finding]:
    source = connector.source
    if connector.mode != "rest_pull":
        return
    if "watermarkBodyField" in source:
        if source.get("method", "GET") != "POST":
            yield Finding(
                CODE,
                "watermarkBodyField puts the checkpoint into the request body, but a GET request has none",
                BODY,
                "set method: POST, or send the checkpoint as a query parameter with watermarkParam",
                at_key=True,
            )
        if "watermarkParam" in source:
            yield Finding(
                CODE,
                "watermarkParam and watermarkBodyField are both set; the checkpoint is sent in one place",
                BODY,
                "keep one of them",
                at_key=True,
            )
    param = source.get("watermarkParam")
    for name, field in pagination_params(source):
        if param is not None and name == param:
            yield Finding(
                CODE,
                f"watermarkParam {param!r} is also the query parameter of {field}; one would overwrite the other",
                "/spec/source/watermarkParam",
                f"give watermarkParam or {field} another name, as the API expects",
            )
