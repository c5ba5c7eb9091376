"""Quoted, mixed-case and reserved-word identifiers survive lowering exactly as written, in every dialect.

The plan's statements are rendered from sqlglot's tree; the stock generators upper-case quoted function names
(`"Slugify"(title)` -> `"SLUGIFY"(title)`, another function) and drop the quotes of user-defined types. The
statements below must come out of the compiler character for character (the watermark predicate aside).
"""

from __future__ import annotations

from typing import Any

import pytest
from plan_fixtures import connector, lowered

from compiler.plan import SqlSource
from compiler.plan.providers import PROVIDERS
from compiler.plan.read_only_sql import refusal

# provider -> (open quote, close quote)
QUOTES = {
    "postgres": ('"', '"'),
    "mysql": ("`", "`"),
    "mssql": ("[", "]"),
    "oracle": ('"', '"'),
    "duckdb": ('"', '"'),
    "sqlite": ('"', '"'),
}
# Oracle writes table aliases without AS; every other dialect here keeps AS.
TABLE_ALIAS = {"oracle": " "}


def q(provider: str, name: str) -> str:
    start, end = QUOTES[provider]
    return f"{start}{name}{end}"


def _statement(provider: str) -> str:
    alias = TABLE_ALIAS.get(provider, " AS ")
    return (
        f"SELECT {q(provider, 'Id')} AS id, {q(provider, 'Slugify')}({q(provider, 'Title')}) AS title, "
        f"{q(provider, 'lower')}({q(provider, 'select')}) AS {q(provider, 'from')}, "
        f"{q(provider, 'MySchema')}.{q(provider, 'Fn')}({q(provider, 'Order')}) AS {q(provider, 'Order')}, "
        f"MixedCase AS {q(provider, 'Mixed Case')}, {q(provider, 'Updated At')} AS updated_at "
        f"FROM {q(provider, 'Sch')}.{q(provider, 'My Table')}{alias}{q(provider, 'T')} "
        f"WHERE {q(provider, 'T')}.{q(provider, 'Updated At')} >= :watermark AND {q(provider, 'T')}.{q(provider, 'group')} = 'a'"
    )


def _lowered(provider: str, query: str) -> SqlSource:
    data: dict[str, Any] = connector("sql_pull")
    data["spec"]["source"].update(type=provider, query=query, watermarkField="updated_at")
    plan = lowered(data)
    assert isinstance(plan.source, SqlSource)
    return plan.source


def test_every_provider_has_its_quotes() -> None:
    assert set(QUOTES) == set(PROVIDERS)


@pytest.mark.parametrize("provider", sorted(QUOTES))
def test_quoted_identifiers_round_trip(provider: str) -> None:
    query = _statement(provider)
    source = _lowered(provider, query)
    assert source.incremental_statement == query
    condition = f" WHERE {q(provider, 'T')}.{q(provider, 'Updated At')} >= :watermark AND "
    assert source.snapshot_statement == query.replace(condition, " WHERE ")
    # The runtime re-parses what the compiler wrote, with the stock dialect, before sending it.
    assert refusal(source.snapshot_statement, provider) is None
    assert refusal(query, provider) is None


@pytest.mark.parametrize("provider", ["postgres", "oracle", "duckdb", "sqlite", "mssql"])
def test_quoted_user_defined_type_keeps_its_quotes(provider: str) -> None:
    query = f"SELECT id, CAST(title AS {q(provider, 'MyType')}) AS title FROM docs"
    assert _lowered(provider, query).snapshot_statement == query


@pytest.mark.parametrize("provider", sorted(QUOTES))
def test_unquoted_names_keep_their_case(provider: str) -> None:
    """Unquoted names fold to one case on the server anyway; the plan still shows them as written. (Unquoted
    function names are upper-cased by the generator, which the server reads as the same function.)"""
    query = "SELECT Id AS id, MixedCase AS title FROM MySchema.MyTable WHERE Updated >= :watermark"
    assert _lowered(provider, query).incremental_statement == query


def test_quoted_function_runs_on_postgres(pg_conn: Any) -> None:
    """End to end on the real server: the lowered statement calls the function the author named."""
    pg_conn.execute('CREATE OR REPLACE FUNCTION "Slugify"(t text) RETURNS text LANGUAGE sql AS $$ SELECT lower(t) $$')
    pg_conn.execute('DROP TABLE IF EXISTS "Ident Docs"')
    pg_conn.execute('CREATE TABLE "Ident Docs" ("Id" int, "Title" text, "select" text)')
    pg_conn.execute("INSERT INTO \"Ident Docs\" VALUES (1, 'Hello World', 'x')")
    query = 'SELECT "Id" AS id, "Slugify"("Title") AS title, "select" AS "from" FROM "Ident Docs"'
    statement = _lowered("postgres", query).snapshot_statement
    assert statement == query
    assert pg_conn.execute(statement).fetchall() == [(1, "hello world", "x")]
