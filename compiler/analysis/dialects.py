"""sqlglot dialects that keep what the author wrote: quoted names stay quoted, in their case, and binds stay `:name`.

A plan's statements are rendered from the parsed tree, so anything the stock dialects normalise changes what runs:
`"Slugify"(title)` would become `"SLUGIFY"(title)` (another function to PostgreSQL), `"lower"(x)` would lose its
quotes, and `CAST(x AS "MyType")` would become `CAST(x AS MyType)` (another type to Oracle). Each faithful dialect
is the stock one with three changes:

- a function called by a quoted name is parsed as an anonymous call, so its name and quotes survive;
- the generator never upper-cases the name of an anonymous function that was quoted;
- a user-defined type keeps its identifier (quoted or not), as the PostgreSQL dialect already does;

plus named binds written as `:name` in every dialect (SQLAlchemy `text()` style), never `%(name)s` or `$name`.

>>> import sqlglot
>>> tree = sqlglot.parse_one('SELECT "Slugify"(title) FROM docs', read=faithful("postgres"))
>>> faithful("postgres").generate(tree)
'SELECT "Slugify"(title) FROM docs'
"""

from __future__ import annotations

import functools
from typing import Any

from sqlglot import TokenType, exp
from sqlglot.dialects.dialect import Dialect


def _is_quoted_call(parser: Any) -> bool:
    current, following = parser._curr, parser._next
    return (
        current is not None
        and current.token_type == TokenType.IDENTIFIER
        and following is not None
        and following.token_type == TokenType.L_PAREN
    )


@functools.cache
def faithful(name: str) -> Dialect:
    """The faithful variant of sqlglot dialect `name` (e.g. "postgres", "tsql"), built once."""
    base = type(Dialect.get_or_raise(name))
    base_parser: Any = base.parser_class
    base_generator: Any = base.generator_class

    class Parser(base_parser):  # type: ignore[misc]
        def _parse_function_call(self, functions: Any = None, anonymous: bool = False, **kwargs: Any) -> Any:
            return super()._parse_function_call(functions, anonymous or _is_quoted_call(self), **kwargs)

        def _parse_user_defined_type(self, identifier: exp.Identifier) -> exp.Expr | None:
            kind: exp.Identifier | exp.Dot = identifier
            while self._match(TokenType.DOT):
                part = self._parse_id_var()
                if part is not None:
                    kind = exp.Dot(this=kind, expression=part)
            return exp.DataType.build(kind, udt=True)

    class Generator(base_generator):  # type: ignore[misc]
        def placeholder_sql(self, expression: exp.Placeholder) -> str:
            return f":{expression.name}" if expression.name else "?"

        def anonymous_sql(self, expression: exp.Anonymous) -> str:
            name = expression.this
            quoted = isinstance(name, exp.Identifier) and name.quoted
            text: str = (
                self.func(self.sql(expression, "this"), *expression.expressions, normalize=False)
                if quoted
                else super().anonymous_sql(expression)
            )
            return text

    # The class name registers the dialect with sqlglot; the prefix keeps it clear of real dialect names.
    dialect_class: type[Dialect] = type(
        f"GeminiSyncFaithful{base.__name__}", (base,), {"Parser": Parser, "Generator": Generator}
    )
    return dialect_class()
