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
