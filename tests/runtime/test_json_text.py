"""JSON text built by concatenation (`runtime.map.json_text`) is the text DuckDB's `to_json` writes for the same
struct, value for value: the documents' bytes, and so their artifacts' checksums, do not depend on how they were
built."""

from __future__ import annotations

import json

import duckdb
import pytest

from runtime.map.json_text import Text, acl_member, concat_sql, json_line, json_object, value

VALUES = [
    "'plain'",
    "'quote \" backslash \\ tab \t newline ' || chr(10) || ' control ' || chr(1)",
    "'unicode é 日本 😀'",
    "NULL::VARCHAR",
    "42",
    "-1.5::DOUBLE",
    "12345678901234567890::HUGEINT",
    "true",
    "DATE '2024-02-29'",
    "TIMESTAMPTZ '2024-01-01 12:00:00+00'",
    "['a', NULL, 'b']",
    "{'nested': 1, 'list': [1, 2]}",
    '\'{"k": [1, {"x": null}]}\'::JSON',
    "NULL::JSON",
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    row = con.execute(f"SELECT {sql}").fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("sql", VALUES)
def test_a_member_is_written_as_to_json_writes_it_in_a_struct(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    built = _one(con, concat_sql(json_object([("a", [Text('"x"')]), ("v", value(sql))])))
    assert built == _one(con, f"CAST(to_json({{'a': 'x', 'v': {sql}}}) AS VARCHAR)")
    json.loads(built)


def test_keys_are_escaped_as_json(con: duckdb.DuckDBPyConnection) -> None:
    key = 'it\'s "q" é'
    built = _one(con, concat_sql(json_object([(key, value("1"))])))
    assert json.loads(built) == {key: 1}
    assert built == _one(con, "CAST(to_json({'it''s \"q\" é': 1}) AS VARCHAR)")


def test_nested_objects_and_the_optional_acl_member(con: duckdb.DuckDBPyConnection) -> None:
    principals = "list_transform(p, lambda x: to_json({'userId': x}))"
    document = json_object(
        [("id", value("'d1'")), ("structData", json_object([("title", value("'T'"))]))], [acl_member(principals)]
    )
    line = json_line(document)
    with_acl = _one(con, f"(SELECT {line} FROM (SELECT ['u1', 'u2'] AS p))")
    assert with_acl.endswith("\n")
    assert with_acl.count("\n") == 1
    assert json.loads(with_acl) == {
        "id": "d1",
        "structData": {"title": "T"},
        "aclInfo": {"readers": [{"principals": [{"userId": "u1"}, {"userId": "u2"}]}]},
    }
    without = _one(con, f"(SELECT {line} FROM (SELECT []::VARCHAR[] AS p))")
    assert json.loads(without) == {"id": "d1", "structData": {"title": "T"}}


def test_content_goes_first(con: duckdb.DuckDBPyConnection) -> None:
    content = [Text('{"mimeType":"text/plain","rawBytes":"'), "to_base64(encode('hi'))", Text('"}')]
    line = _one(con, json_line(json_object([("id", value("'d1'"))]), content))
    assert line == '{"content":{"mimeType":"text/plain","rawBytes":"aGk="},"id":"d1"}\n'


def test_adjacent_literals_are_merged_into_one_concat_argument() -> None:
    assert concat_sql([Text("a"), Text("b"), "x", Text("c")]) == "concat('ab', x, 'c')"
    assert concat_sql([Text("it's")]) == "'it''s'"


def test_a_document_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        json_line(["x"], [Text("{}")])
    with pytest.raises(ValueError, match="with a member"):
        json_line(json_object([]), [Text("{}")])


def test_an_object_without_members_is_empty(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, concat_sql(json_object([]))) == "{}"
    assert _one(con, json_line(json_object([("s", json_object([]))]))) == '{"s":{}}\n'
