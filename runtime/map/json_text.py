"""SQL that builds JSON text by concatenation: keys and punctuation as literals, each value through `to_json`.

A document rendered this way costs a third less than the same document as one DuckDB struct through `to_json`
(1M records of 500 bytes on 2 cores: 1.04 s against 1.47 s for the render alone, measured): `to_json` of a
struct builds a JSON tree per row and serialises it, where a value's own `to_json` writes its text directly.
The text is the same as the struct's, member for member (a NULL value is `null`).

Pieces are SQL expressions or `Text` literals; `concat_sql` merges adjacent literals and makes one `concat`
call, so a line is built in one allocation (chained `||` copies a 1 MiB value once per operator).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from runtime.map.sql import literal


@dataclass(frozen=True, slots=True)
class Text:
    """A literal piece of JSON text."""

    text: str


Piece = Text | str
"""A literal, or a SQL expression whose value is JSON text (never NULL)."""


def value(sql: str) -> list[Piece]:
    """The JSON text of any DuckDB value, as `to_json` writes it inside a struct (NULL -> `null`)."""
    return [f"coalesce(CAST(to_json({sql}) AS VARCHAR), 'null')"]


def json_object(members: Sequence[tuple[str, Sequence[Piece]]], optional: Sequence[str] = ()) -> list[Piece]:
    """A JSON object from (key, pieces of the value's text), in order, then the `optional` members: SQL whose
    value is either '' or a member's text with its leading comma (see `acl_member`)."""
    if not members:
        return [Text("{}")]
    pieces: list[Piece] = []
    for index, (key, member) in enumerate(members):
        pieces.append(Text(("{" if index == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"))
        pieces += member
    return [*pieces, *optional, Text("}")]


def acl_member(principals: str) -> str:
    """The optional `aclInfo` member for a LIST of principal objects: absent when the list is empty."""
    readers = concat_sql([Text(',"aclInfo":{"readers":[{"principals":'), *value(principals), Text("}]}")])
    return f"CASE WHEN len({principals}) = 0 THEN '' ELSE {readers} END"


def concat_sql(pieces: Sequence[Piece]) -> str:
    """One `concat` of the pieces, adjacent literals merged."""
    merged: list[str] = []
    pending: list[str] = []
    for piece in pieces:
        if isinstance(piece, Text):
            pending.append(piece.text)
            continue
        if pending:
            merged.append(literal("".join(pending)))
            pending = []
        merged.append(piece)
    if pending:
        merged.append(literal("".join(pending)))
    if len(merged) == 1:
        return merged[0]
    return f"concat({', '.join(merged)})"


def json_line(document: Sequence[Piece], content: Sequence[Piece] | None = None) -> str:
    """SQL for one NDJSON line: the JSON object `document` (pieces from `json_object`), with a `content` member
    put first when `content` is given, and a newline."""
    if content is None:
        return concat_sql([*document, Text("\n")])
    first = document[0]
    if not (isinstance(first, Text) and first.text.startswith('{"')):
        raise ValueError("json_line: the document must be the pieces of a JSON object with a member (json_object)")
    opened = [Text('{"content":'), *content, Text("," + first.text[1:])]
    return concat_sql([*opened, *document[1:], Text("\n")])
