"""Turn a plan statement with `:name` binds into a driver's SQL and parameters, via SQLAlchemy's compiler.

SQLAlchemy's `text()` knows each paramstyle (`%(name)s`, `%s`, `?`, `:name`, `$1`), escapes literal `%` for
the pyformat drivers and leaves `::casts` alone. Values are never formatted into the SQL text here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultDialect

__all__ = ["Bound", "bind", "dollar_dialect"]


@dataclass(frozen=True, slots=True)
class Bound:
    """SQL in the driver's paramstyle and the matching parameters (a dict or a tuple)."""

    sql: str
    params: dict[str, object] | tuple[object, ...]


def dollar_dialect() -> Dialect:
    """A generic dialect with `$1` placeholders (DuckDB's positional style)."""
    return DefaultDialect(paramstyle="numeric_dollar")


def bind(statement: str, params: Mapping[str, object], dialect: Dialect) -> Bound:
    """Compile `statement` for `dialect`; `params` supplies the `:name` binds it uses."""
    clause = text(strip_statement(statement))
    names = [name for name in params if name in clause._bindparams]
    if names:
        clause = clause.bindparams(*(bindparam(name) for name in names))
    compiled = clause.compile(dialect=dialect)
    if not compiled.binds:
        # Nothing to bind: the driver gets the statement as written (no `%%` escaping, no parameters).
        return Bound(strip_statement(statement), {})
    missing = [name for name in compiled.binds if name not in params]
    if missing:
        raise KeyError(", ".join(sorted(missing)))
    if compiled.positiontup:
        return Bound(compiled.string, tuple(params[name] for name in compiled.positiontup))
    return Bound(compiled.string, {name: params[name] for name in compiled.binds})


def strip_statement(statement: str) -> str:
    """The statement without surrounding whitespace and trailing semicolons (it is nested in COPY/subqueries)."""
    return statement.strip().rstrip(";").rstrip()
