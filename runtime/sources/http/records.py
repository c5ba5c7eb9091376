"""A page's body -> its records, each as JSON text. A body that is not JSON, or lacks the records, is an error
naming the page: never zero records, because zero records in a complete snapshot would delete everything.

Where the records are: `recordsPath` (dotted, `data.results`), else the body itself when it is an array, else the
array under `items` (what connectors written for the earlier tool expect). Every record must be a JSON object.

`PageParser` reads a page in one pass that decodes only what the run uses: each record stays the text the API
sent (a `msgspec.Raw` span, never turned into Python objects and back; the engine parses it once, in DuckDB), and
only the values the pagination reads (`body_paths`: a cursor, a next link, a total) are decoded. That is less
than half the work of parsing the page into Python objects and serialising every record again. A page it cannot
read that way (another shape, a missing key, a value of the wrong type) goes through `parse_page`, the full
parse, whose errors say exactly what is wrong; the records' UTF-8 and that each one is an object are checked for
a whole batch at once (`runtime.sources.http.pull`). A key given twice in one record reads as its first value
(DuckDB's JSON reader), where a Python parse keeps the last (RFC 8259 leaves it open).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import msgspec
import orjson

from runtime import exact_json
from runtime.errors import SourceError

DEFAULT_ITEMS_KEY = "items"
MAX_KEYS_SHOWN = 8
_HEAD_BYTES = 64
"""How far into a body its first character is looked for (a body indented further takes the full parse)."""

RecordText: TypeAlias = bytes | msgspec.Raw
"""One record's JSON text: serialised by the full parse, or the API's own span of the page (`PageParser`)."""


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A page's body (what the pagination reads of it) and its records as JSON texts (UTF-8)."""

    body: Any
    records: Sequence[RecordText]


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


def not_an_object(where: str, number: int, record: Any) -> SourceError:
    """Record `number` (1-based) of the page at `where` is `record`, which is not an object."""
    return SourceError(
        f"{where}: record {number} is {_describe(record)}, not an object; nothing was changed: point "
        "recordsPath at an array of objects"
    )


def parse_page(content: bytes, records_path: str | None, where: str, content_type: str | None) -> ParsedPage:
    body = parse_json(content, where, content_type)
    records = records_of(body, records_path, where)
    if not set(map(type, records)) <= {dict}:  # checked in C: this runs for every record of every page
        index, record = next((i, r) for i, r in enumerate(records) if not isinstance(r, dict))
        raise not_an_object(where, index + 1, record)
    try:
        texts = list(map(orjson.dumps, records))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits somewhere in the page
        texts = [exact_json.dumps(record) for record in records]
    return ParsedPage(body=body, records=texts)


_RECORDS = object()
"""In a tree of paths: where the records array is."""
_RAW_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])


def _tree(records: list[str], values: list[list[str]]) -> dict[str, Any] | None:
    """Paths as nested dicts (leaves: `_RECORDS` or None for a value), or None when one path runs into another."""
    tree: dict[str, Any] = {}
    for path, leaf in [(records, _RECORDS), *((value, None) for value in values)]:
        node = tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                return None
            node = child
        if path[-1] in node:
            return None
        node[path[-1]] = leaf
    return tree


def _struct(tree: dict[str, Any]) -> type:
    """A msgspec Struct that decodes exactly the tree's keys; any other key is skipped (checked as JSON only)."""
    names = {f"f{i}": key for i, key in enumerate(tree)}
    fields = []
    for name, key in names.items():
        leaf = tree[key]
        kind = list[msgspec.Raw] if leaf is _RECORDS else msgspec.Raw if leaf is None else _struct(leaf)
        fields.append((name, kind | msgspec.UnsetType, msgspec.UNSET))
    return msgspec.defstruct("Page", fields, rename=names)


def _attributes(tree: dict[str, Any], path: list[str]) -> list[str]:
    """The Struct attribute names (`_struct`) along `path`."""
    names = []
    for key in path:
        names.append(f"f{list(tree).index(key)}")
        tree = tree[key] if isinstance(tree[key], dict) else {}
    return names


def _walk(page: Any, attributes: list[str]) -> Any:
    """The decoded value along `attributes` of a `_struct` instance (UNSET when any step is absent)."""
    for name in attributes:
        if page is msgspec.UNSET:
            break
        page = getattr(page, name)
    return page


def _place(body: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        body = body.setdefault(key, {})
    body[path[-1]] = value


class PageParser:
    """One run's pages: `parse` reads what the run uses of each (see the module's doc)."""

    def __init__(self, records_path: str | None, body_paths: Sequence[str]) -> None:
        self.records_path = records_path
        self._records = (records_path or DEFAULT_ITEMS_KEY).split(".")
        self._values = [path.split(".") for path in body_paths]
        self._object: msgspec.json.Decoder[Any] | None = None  # paths that run into each other: the full parse
        self._records_at: list[str] = []
        self._values_at: list[tuple[list[str], list[str]]] = []
        tree = _tree(self._records, self._values)
        if tree is not None:
            self._object = msgspec.json.Decoder(_struct(tree))
            self._records_at = _attributes(tree, self._records)
            self._values_at = [(path, _attributes(tree, path)) for path in self._values]

    def parse(self, content: bytes, where: str, content_type: str | None) -> ParsedPage:
        return self._spans(content) or parse_page(content, self.records_path, where, content_type)

    def _spans(self, content: bytes) -> ParsedPage | None:
        """The page read in one pass, or None where only the full parse can tell what it holds."""
        head = content[:_HEAD_BYTES].lstrip()[:1]
        try:
            if head == b"[" and self.records_path is None:
                records = _RAW_ARRAY.decode(content)
                return ParsedPage(body=records, records=records)
            if head != b"{" or self._object is None:
                return None
            page = self._object.decode(content)
        except (msgspec.MsgspecError, RecursionError):
            return None
        found = _walk(page, self._records_at)
        if not isinstance(found, list):
            return None
        body: dict[str, Any] = {}
        _place(body, self._records, found)
        for path, attributes in self._values_at:
            value = _walk(page, attributes)
            if isinstance(value, msgspec.Raw):
                try:
                    _place(body, path, exact_json.loads(bytes(value)))
                except ValueError:
                    return None
        return ParsedPage(body=body, records=found)
