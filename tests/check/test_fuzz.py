"""Property-based tests: whatever a valid example connector is mutated into, the linter answers with diagnostics
(or success), never an exception, and every diagnostic is well-formed: a known code with the registry's severity,
a 1-based position inside the file, and a message. Every reporter renders the answer without failing.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.check.checker import check_file
from compiler.check.codes import BY_CODE
from compiler.diagnostics import Diagnostic
from compiler.report import REPORTERS
from compiler.validation import ValidationResult, validate_text

EXAMPLES = {path.name: path.read_text(encoding="utf-8") for path in sorted(Path("connectors").glob("*.yaml"))}
if not EXAMPLES:  # run from another folder than the repository root
    ROOT = Path(__file__).resolve().parents[2] / "connectors"
    EXAMPLES = {path.name: path.read_text(encoding="utf-8") for path in sorted(ROOT.glob("*.yaml"))}

FUZZ = settings(
    max_examples=int(os.environ.get("GS_FUZZ_EXAMPLES", "120")),  # raise it for a longer bug hunt
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

LINE_BREAKS = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
names = st.sampled_from(sorted(EXAMPLES))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.just("x" * 5000),
    st.sampled_from(["", "~", "null", "yes", "0x1F", "1e999", "SELECT *", "{{ x }", "*/0 * * * *", ":watermark"]),
    # Deep nesting where a parser recurses: SQL and Jinja expressions.
    st.integers(min_value=0, max_value=400).map(lambda n: "SELECT " + "(" * n + "1" + ")" * n + " AS id FROM t"),
    st.integers(min_value=0, max_value=400).map(lambda n: "{{ " + "(" * n + "id" + ")" * n + " }}"),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a document (keys of mappings, indexes of lists)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


def assert_well_formed(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...], raw: bytes, path: str) -> None:
    # YAML's line breaks: CRLF, CR, LF and (YAML 1.1, libyaml) NEL, LS, PS. A final break opens one more line.
    last_line = len(LINE_BREAKS.split(raw.decode("utf-8", errors="replace")))
    for d in diagnostics:
        assert d.code in BY_CODE, d
        assert d.severity == BY_CODE[d.code].severity, d
        assert d.message.strip(), d
        assert d.file == path, d
        assert 1 <= d.line <= last_line, (d, last_line)
        assert d.column >= 1, d
        assert d.end_line >= d.line, d
        assert d.end_line > d.line or d.end_column >= d.column, d
        assert d.pointer == "" or d.pointer.startswith("/"), d
    assert list(diagnostics) == sorted(diagnostics, key=Diagnostic.sort_key)
    result = ValidationResult(files=(), diagnostics=tuple(diagnostics))
    lines = raw.decode("utf-8", errors="replace").splitlines()
    for render in REPORTERS.values():
        assert isinstance(render(result, lambda _path: lines), str)


def check_text(text: str, path: str) -> list[Diagnostic]:
    diagnostics = validate_text(text, path=path)
    assert_well_formed(diagnostics, text.encode("utf-8"), path)
    return diagnostics


def test_examples_are_clean() -> None:
    """The starting points of every mutation are valid, so the properties below test mutations, not bad seeds."""
    assert len(EXAMPLES) >= 3
    for name, text in EXAMPLES.items():
        assert check_text(text, name) == []


@FUZZ
@given(name=names, data=st.data())
def test_deleting_a_key(name: str, data: st.DataObject) -> None:
    document = yaml.safe_load(EXAMPLES[name])
    path = data.draw(st.sampled_from([p for p in _paths(document) if isinstance(_parent(document, p), dict)]))
    del _parent(document, path)[path[-1]]
    diagnostics = check_text(yaml.safe_dump(document, sort_keys=False), name)
    if path in {("apiVersion",), ("kind",), ("metadata",), ("spec",)}:
        assert any(d.code == "GS051" for d in diagnostics), "a required top-level field was deleted"


@FUZZ
@given(name=names, data=st.data(), value=json_values)
def test_setting_a_value(name: str, data: st.DataObject, value: Any) -> None:
    document = yaml.safe_load(EXAMPLES[name])
    path = data.draw(st.sampled_from(_paths(document)))
    _parent(document, path)[path[-1]] = copy.deepcopy(value)
    check_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), name)


@FUZZ
@given(name=names, data=st.data(), new_key=st.text(min_size=1, max_size=20))
def test_renaming_a_key(name: str, data: st.DataObject, new_key: str) -> None:
    document = yaml.safe_load(EXAMPLES[name])
    path = data.draw(st.sampled_from([p for p in _paths(document) if isinstance(_parent(document, p), dict)]))
    parent = _parent(document, path)
    parent[new_key] = parent.pop(path[-1])
    check_text(yaml.safe_dump(document, sort_keys=False), name)


def _line_edit(text: str, index: int, edit: str, extra: str) -> str:
    lines = text.split("\n")
    i = index % len(lines)
    line = lines[i]
    if edit == "duplicate":
        lines.insert(i, line)
    elif edit == "tab":
        lines[i] = "\t" + line.lstrip(" ")
    elif edit == "indent":
        lines[i] = " " + line
    elif edit == "dedent":
        lines[i] = line[1:]
    elif edit == "insert":
        cut = len(extra) % (len(line) + 1)
        lines[i] = line[:cut] + extra + line[cut:]
    elif edit == "anchor":
        lines[i] = line.replace(": ", ": &a ", 1)
    elif edit == "alias":
        key, sep, _ = line.partition(": ")
        lines[i] = f"{key}{sep}*a" if sep else line + " *a"
    elif edit == "marker":
        lines.insert(i, "---")
    elif edit == "tag":  # an explicit tag, standard or not, before the value
        tag = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq", "!!binary", "!local"][len(extra) % 9]
        lines[i] = line.replace(": ", f": {tag} ", 1)
    return "\n".join(lines)


@FUZZ
@given(
    name=names,
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=200),
            st.sampled_from(["duplicate", "tab", "indent", "dedent", "insert", "anchor", "alias", "marker", "tag"]),
            st.text(max_size=6),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_editing_lines(name: str, edits: list[tuple[int, str, str]]) -> None:
    text = EXAMPLES[name]
    for index, edit, extra in edits:
        text = _line_edit(text, index, edit, extra)
    check_text(text, name)


@FUZZ
@given(name=names, data=st.data())
def test_damaging_bytes(name: str, data: st.DataObject) -> None:
    raw = bytearray(EXAMPLES[name].encode("utf-8"))
    kind = data.draw(st.sampled_from(["truncate", "flip", "insert", "overwrite"]))
    at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    if kind == "truncate":
        del raw[at:]
    elif kind == "flip":
        raw[at] ^= data.draw(st.integers(min_value=1, max_value=255))
    elif kind == "insert":
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    else:
        chunk = data.draw(st.binary(min_size=1, max_size=16))
        raw[at : at + len(chunk)] = chunk
    report = check_file(bytes(raw), name)
    assert_well_formed(report.diagnostics, bytes(raw), name)


@FUZZ
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_random_unicode_text(text: str) -> None:
    diagnostics = check_text(text, "random.yaml")
    assert diagnostics, "random text is never a complete valid connector"


@FUZZ
@given(
    depth=st.integers(min_value=0, max_value=400), where=st.sampled_from(["query", "contentTemplate", "uriTemplate"])
)
def test_deeply_nested_expressions(depth: int, where: str) -> None:
    """SQL and Jinja parsers recurse; a deep expression is a finding (GS106/GS110), never a RecursionError."""
    document = yaml.safe_load(EXAMPLES["hr-employees.yaml"])
    if where == "query":
        document["spec"]["source"]["query"] = "SELECT " + "(" * depth + "1" + ")" * depth + " AS employee_id FROM t"
    else:
        document["spec"]["mapping"][where] = "{{ " + "(" * depth + "full_name" + ")" * depth + " }}"
    check_text(yaml.safe_dump(document, sort_keys=False), "hr-employees.yaml")
