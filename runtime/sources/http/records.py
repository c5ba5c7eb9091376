"""A page's body -> its records, each as JSON text. A body that is not JSON, or lacks the records, is an error
naming the page: never zero records, because zero records in a complete snapshot would delete everything.

Where the records are: `recordsPath` (dotted, `data.results`), else the body itself when it is an array, else the
array under `items` (what connectors written for the earlier tool expect). Every record must be a JSON object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from runtime import exact_json
from runtime.errors import SourceError

DEFAULT_ITEMS_KEY = "items"
MAX_KEYS_SHOWN = 8


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A page's parsed body and its records as JSON texts (UTF-8)."""

    body: Any
    records: Sequence[bytes]


def parse_json(content: bytes, where: str, content_type: str | None) -> Any:
    """The body as JSON, every integer exact (`runtime.exact_json`)."""
    try:
        return exact_json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:  # msgspec.DecodeError is a ValueError
        kind = f" ({content_type})" if content_type else ""
        start = " ".join(content[:60].decode("utf-8", "replace").split())
        shown = f"; it starts with {start!r}" if start else "; it is empty"
        raise SourceError(
            f"{where}: the response{kind} is not JSON ({error}){shown}; nothing was changed: check the URL "
            "and that the API answers with JSON"
        ) from None


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = list(value)
        shown = ", ".join(keys[:MAX_KEYS_SHOWN]) + (", ..." if len(keys) > MAX_KEYS_SHOWN else "")
        return f"an object (keys: {shown})" if keys else "an empty object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def lookup_path(body: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path; `found` is False when any step is absent or not an object."""
    value = body
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def records_of(body: Any, records_path: str | None, where: str) -> list[Any]:
    """The records array of a parsed page."""
    if records_path is None:
        if isinstance(body, list):
            return body
        if isinstance(body, dict) and isinstance(body.get(DEFAULT_ITEMS_KEY), list):
            items: list[Any] = body[DEFAULT_ITEMS_KEY]
            return items
        raise SourceError(
            f"{where}: the response is {_describe(body)}, neither an array of records nor an object with an "
            f"{DEFAULT_ITEMS_KEY!r} array; nothing was changed: set recordsPath to where the records are"
        )
    found, value = lookup_path(body, records_path)
    if not found:
        raise SourceError(
            f"{where}: the response has no {records_path!r} (recordsPath); it is {_describe(body)}; nothing was "
            "changed: fix recordsPath, or check that the API answered with a page of records"
        )
    if not isinstance(value, list):
        raise SourceError(
            f"{where}: {records_path!r} (recordsPath) is {_describe(value)}, not an array of records; nothing was "
            "changed: point recordsPath at the array"
        )
    return value


def _not_an_object(records: list[Any], where: str) -> SourceError:
    index, record = next((i, r) for i, r in enumerate(records) if not isinstance(r, dict))
    return SourceError(
        f"{where}: record {index + 1} is {_describe(record)}, not an object; nothing was changed: point "
        "recordsPath at an array of objects"
    )


def parse_page(content: bytes, records_path: str | None, where: str, content_type: str | None) -> ParsedPage:
    body = parse_json(content, where, content_type)
    records = records_of(body, records_path, where)
    if not set(map(type, records)) <= {dict}:  # checked in C: this runs for every record of every page
        raise _not_an_object(records, where)
    try:
        texts = list(map(orjson.dumps, records))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits somewhere in the page
        texts = [exact_json.dumps(record) for record in records]
    return ParsedPage(body=body, records=texts)
