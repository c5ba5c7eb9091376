"""The loader: YAML 1.2 core scalars, positions keyed by JSON pointer, per-document problems, file-level problems."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

from compiler.load import MAX_FILE_BYTES, load_bytes
from compiler.load.positions import Positions, Span, escape, join, parent
from compiler.validation import validate_text


def _data(text: str) -> object:
    loaded = load_bytes(text.encode(), "x.yaml")
    assert not loaded.problems
    (document,) = loaded.documents
    assert not document.problems, document.problems
    return document.data


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("~", None),
        ("null", None),
        ("", None),
        ("0o17", 15),
        ("0x1F", 31),
        ("017", 17),
        ("-5", -5),
        ("+5", 5),
        ("1_000", "1_000"),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("2024-01-01", "2024-01-01"),
        ("12:30", "12:30"),
        ("'123'", "123"),
        ('"true"', "true"),
    ],
)
def test_core_schema_scalars(source: str, expected: object) -> None:
    """YAML 1.2 core schema, as JSON sees it: no Norway problem, no sexagesimals, dates stay strings."""
    data = _data(f"v: {source}\n")
    assert isinstance(data, dict)
    assert data["v"] == expected
    assert type(data["v"]) is type(expected)


def test_special_floats() -> None:
    data = _data("a: .nan\nb: -.inf\nc: .Inf\n")
    assert isinstance(data, dict)
    assert math.isnan(data["a"])
    assert data["b"] == -math.inf
    assert data["c"] == math.inf


def test_positions_of_keys_and_values() -> None:
    text = "spec:\n  source:\n    query: SELECT 1\n  list: [a, b]\n"
    (document,) = load_bytes(text.encode(), "x.yaml").documents
    positions = document.positions
    assert positions.of_key("/spec/source/query") == Span(3, 5, 3, 10)
    assert positions.of_value("/spec/source/query") == Span(3, 12, 3, 20)
    assert positions.of_value("/spec/list/1") == Span(4, 13, 4, 14)
    # A missing field points at its nearest existing ancestor; a list item has no key, so of_key falls back.
    assert positions.of_value("/spec/source/missing/deeper") == positions.of_value("/spec/source")
    assert positions.of_key("/spec/list/0") == Span(4, 10, 4, 11)


def test_positions_of_keys_that_need_escaping() -> None:
    (document,) = load_bytes(b"a/b:\n  c~d: 1\n", "x.yaml").documents
    assert document.data == {"a/b": {"c~d": 1}}
    assert document.positions.of_key("/a~1b/c~0d") == Span(2, 3, 2, 6)


def test_pointer_helpers() -> None:
    assert escape("a/b~c") == "a~1b~0c"
    assert join("/spec", "x/y") == "/spec/x~1y"
    assert join("/list", 3) == "/list/3"
    assert parent("/spec/source") == "/spec"
    assert parent("/spec") == ""
    assert parent("") == ""
    assert Positions().of_value("/anything") == Positions().document


def test_documents_are_indexed_and_positioned_in_the_stream() -> None:
    loaded = load_bytes(b"a: 1\n---\nb: 2\n---\n- 3\n", "x.yaml")
    assert [d.index for d in loaded.documents] == [0, 1, 2]
    assert [d.data for d in loaded.documents] == [{"a": 1}, {"b": 2}, [3]]
    assert loaded.documents[1].positions.of_key("/b") == Span(3, 1, 3, 2)


def test_duplicate_key_keeps_the_first_value_and_reports_the_second() -> None:
    (document,) = load_bytes(b"a: 1\nb: 2\na: 3\n", "x.yaml").documents
    assert document.data == {"a": 1, "b": 2}
    (problem,) = document.problems
    assert (problem.code, problem.span.line, problem.span.column, problem.pointer) == ("GS005", 3, 1, "/a")
    assert "line 1, column 1" in problem.message


def test_a_problem_in_one_document_leaves_the_others_readable() -> None:
    loaded = load_bytes(b"a: !custom 1\n---\nb: 2\n", "x.yaml")
    first, second = loaded.documents
    assert first.data is None
    assert [p.code for p in first.problems] == ["GS008"]
    assert second.data == {"b": 2}
    assert not second.problems


def test_file_facts() -> None:
    raw = b"a: 1\n"
    loaded = load_bytes(raw, "dir/x.yaml")
    assert loaded.path == "dir/x.yaml"
    assert loaded.sha256 == hashlib.sha256(raw).hexdigest()
    assert loaded.text == "a: 1\n"


def test_byte_order_mark_is_not_part_of_the_text() -> None:
    loaded = load_bytes(b"\xef\xbb\xbfa: 1\n", "x.yaml")
    assert loaded.text == "a: 1\n"
    assert loaded.documents[0].positions.of_key("/a") == Span(1, 1, 1, 2)


def test_size_limit_is_exact() -> None:
    at_limit = b"a: 1\n#" + b"x" * (MAX_FILE_BYTES - 7) + b"\n"
    assert len(at_limit) == MAX_FILE_BYTES
    loaded = load_bytes(at_limit, "x.yaml")
    assert not loaded.problems
    assert loaded.documents[0].data == {"a": 1}
    over = at_limit + b"\n"
    (problem,) = load_bytes(over, "x.yaml").problems
    assert problem.code == "GS006"
    assert f"{len(over):,} bytes" in problem.message


def test_alias_within_limits_expands() -> None:
    data = _data("base: &b {x: 1}\ncopy: *b\n")
    assert data == {"base": {"x": 1}, "copy": {"x": 1}}


def test_merge_keys_are_not_magic() -> None:
    """`<<` is a YAML 1.1 feature; in the core schema it is an ordinary key (and the schema then rejects it)."""
    data = _data("base: &b {x: 1}\ncopy:\n  <<: *b\n")
    assert data == {"base": {"x": 1}, "copy": {"<<": {"x": 1}}}


def test_crlf_files_read_like_lf_files() -> None:
    """A connector saved on Windows: same data, same positions, and the valid example stays valid."""
    text = "a:\n  b: [1, 2]\n  c: x\n"
    lf, crlf = load_bytes(text.encode(), "x.yaml"), load_bytes(text.replace("\n", "\r\n").encode(), "x.yaml")
    assert crlf.documents[0].data == lf.documents[0].data
    assert crlf.documents[0].positions.keys == lf.documents[0].positions.keys
    example = (Path(__file__).resolve().parents[2] / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8")
    assert validate_text(example.replace("\n", "\r\n"), path="hr-employees.yaml") == []
    broken = example.replace("location: global", "location: mars").replace("\n", "\r\n")
    assert [(d.code, d.line, d.column) for d in validate_text(broken, path="hr-employees.yaml")] == [("GS053", 32, 15)]
