"""What a connector's SQL does, learned by parsing it with sqlglot in the provider's dialect.

>>> a = analyze_sql("SELECT id, title AS name FROM docs WHERE updated_at >= :watermark", "postgres")
>>> a.selected_columns, a.parameters, a.is_read_only_select
(('id', 'name'), ('watermark',), True)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from compiler.analysis.dialects import faithful
from compiler.plan.read_only_sql import DIALECTS, is_select, writes

__all__ = ["DIALECTS", "SqlAnalysis", "analyze_sql", "name_position", "position", "projections"]


@dataclass(frozen=True, slots=True)
class SqlAnalysis:
    """Everything the rules and the lowering need to know about one query.

    `selected_columns` is None when the names cannot be known from the text (a `*` projection).
    `error_line`/`error_column` are 1-based positions inside the query text.
    """

    dialect: str
    error: str | None
    error_line: int | None
    error_column: int | None
    statement: exp.Expr | None
    statement_count: int
    is_select: bool
    writes: tuple[str, ...]
    selected_columns: tuple[str, ...] | None
    has_star: bool
    parameters: tuple[str, ...]

    @property
    def is_read_only_select(self) -> bool:
        return self.error is None and self.statement_count == 1 and self.is_select and not self.writes


def _failed(dialect: str, message: str, line: int | None = None, column: int | None = None) -> SqlAnalysis:
    return SqlAnalysis(dialect, message, line, column, None, 0, False, (), None, False, ())


def projections(statement: exp.Expr) -> list[exp.Expr]:
    """The select-list items that name the result's columns (a UNION's first branch)."""
    while isinstance(statement, exp.SetOperation):
        statement = statement.this  # a UNION takes its column names from the first branch
    if isinstance(statement, exp.Subquery):
        return projections(statement.this)
    return list(statement.expressions) if isinstance(statement, exp.Select) else []


def position(node: exp.Expr | None) -> tuple[int, int] | None:
    """(line, column), 1-based inside the query text, where `node` starts: its earliest token sqlglot located."""
    if node is None:
        return None
    found: list[tuple[int, int]] = []
    for candidate in node.walk():
        meta = candidate.meta
        line, last, start, end = meta.get("line"), meta.get("col"), meta.get("start"), meta.get("end")
        if isinstance(line, int) and isinstance(last, int) and isinstance(start, int) and isinstance(end, int):
            found.append((line, last - (end - start)))  # sqlglot's `col` is the token's last character
    return min(found, default=None)


def name_position(projection: exp.Expr) -> tuple[int, int] | None:
    """Where a select-list item's output name is written: its alias, else the column name itself."""
    alias = projection.args.get("alias") if isinstance(projection, exp.Alias) else None
    return position(alias) or position(projection)


@functools.lru_cache(maxsize=4096)
def analyze_sql(query: str, provider: str) -> SqlAnalysis:
    """Parse `query` in the dialect of `provider` and describe it. Never raises for bad SQL."""
    dialect = DIALECTS.get(provider, provider)
    try:
        statements = [s for s in sqlglot.parse(query, read=faithful(dialect)) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        return _failed(dialect, str(first.get("description") or exc), first.get("line"), first.get("col"))
    except TokenError as exc:
        return _failed(dialect, f"cannot tokenize the query: {exc}")
    except RecursionError:  # sqlglot's recursive descent gives up near 50 nested parentheses
        return _failed(dialect, "the query nests too deeply to analyse (about 50 levels of parentheses)")
    if not statements:
        return _failed(dialect, "the query is empty")
    statement = statements[0]
    selected = projections(statement)
    has_star = any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and p.is_star) for p in selected)
    columns = None if has_star or not selected else tuple(p.alias_or_name for p in selected)
    parameters: list[str] = []
    for placeholder in statement.find_all(exp.Placeholder):
        name = placeholder.name
        if name and name not in parameters:
            parameters.append(name)
    for parameter in statement.find_all(exp.Parameter):  # PostgreSQL's positional $1 (never bound by a sync)
        if isinstance(parameter.this, exp.Literal) and parameter.name.isdigit() and parameter.name not in parameters:
            parameters.append(parameter.name)
    return SqlAnalysis(
        dialect=dialect,
        error=None,
        error_line=None,
        error_column=None,
        statement=statement,
        statement_count=len(statements),
        is_select=is_select(statement),
        writes=writes(statement, dialect) if len(statements) == 1 else (),
        selected_columns=columns,
        has_star=has_star,
        parameters=tuple(parameters),
    )
