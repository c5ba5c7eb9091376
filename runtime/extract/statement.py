"""The last check before a statement reaches a server: exactly one read-only SELECT, by the linter's own rules.

A plan is a file: anyone who can edit it can re-seal it (`planHash` is a content hash, not a signature), so the
statement the compiler checked is not necessarily the one in the plan. Every SQL extractor runs its statements
through `checked()` first (from `open_extractor`, the one place extractors are made). It matters most where the
driver cannot refuse a second statement itself: PostgreSQL's COPY goes over the simple query protocol, which
runs `...; COMMIT; CREATE TABLE ...` as three statements, and SQL Server batches and DuckDB accept several
statements too. The check is a backstop; a database user that can only read is the boundary.
"""

from __future__ import annotations

from compiler.plan import SqlSource
from compiler.plan.read_only_sql import refusal
from runtime.errors import ConfigError
from runtime.extract.binds import strip_statement

__all__ = ["checked"]


def checked(statement: str, source: SqlSource) -> str:
    """`statement` if it is exactly one read-only SELECT in the source's dialect; ConfigError (exit 2) if not.

    Checks the text exactly as the extractors send it (surrounding whitespace and trailing `;` removed).
    """
    problem = refusal(strip_statement(statement), source.provider)
    if problem is not None:
        raise ConfigError(
            f"plan refused: the {source.provider} statement was not sent, because {problem}. A plan may only "
            "run one read-only SELECT; rebuild it with compiler build from a connector that passes validate"
        )
    return statement
