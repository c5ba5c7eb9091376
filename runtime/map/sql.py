"""Quoting for SQL text the runtime builds: identifiers from the plan and literals, never user data."""

from __future__ import annotations


def ident(name: str) -> str:
    """A DuckDB identifier, quoted so any column name from the source is safe."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def col(name: str, alias: str = "c") -> str:
    """A column of a staged chunk."""
    return f"{alias}.{ident(name)}"


def json_line(document: str, content_parts: list[str] | None = None) -> str:
    """SQL for one NDJSON line: the JSON object text `document`, with a `content` member put first when
    `content_parts` is given (SQL pieces whose concatenation is the member's JSON text), and a newline.

    One `concat` call builds the line in one allocation: chained `||` copies a 1 MiB value once per operator.
    The member goes first because cutting the object's opening brace (`substr(..., 2)`) finds its place at the
    start, while cutting the closing one (`left(..., -1)`) counts every character of the object."""
    if content_parts is None:
        return f"concat(CAST({document} AS VARCHAR), chr(10))"
    parts = [literal('{"content":'), *content_parts, "','", f"substr(CAST({document} AS VARCHAR), 2)", "chr(10)"]
    return f"concat({', '.join(parts)})"
