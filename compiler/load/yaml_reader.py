"""YAML text -> plain data plus positions, with YAML 1.2 core-schema scalars and strict limits.

libyaml (through PyYAML's C parser) composes the node tree, which is several times faster than a pure-Python
loader; this module turns nodes into JSON-like data itself so that it can record positions, reject duplicate keys
and unknown tags, and bound alias expansion ("billion laughs") and nesting depth.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from compiler.load.positions import Positions, Span, join

_LINE_BREAKS = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")

MAX_NODES = 20_000
"""Values built per document, aliases expanded; a connector has about a hundred."""
MAX_DEPTH = 64

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml

    class _Parser(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer
    ):
        def __init__(self, text: str) -> None:
            yaml.reader.Reader.__init__(self, text)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)


class CoreResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: `on`, `yes` and `no` stay strings, timestamps stay strings (as in JSON)."""


_CORE_SCALARS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
)
for _tag, _pattern, _first in _CORE_SCALARS:
    CoreResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _Composer(_Parser, CoreResolver):
    """libyaml parser + composer with the core-schema resolver; builds nodes, never Python objects."""

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        CoreResolver.__init__(self)


@dataclass(frozen=True, slots=True)
class Problem:
    """A reason a document cannot be read, at a position. `code` is a GS0xx diagnostic code."""

    code: str
    message: str
    span: Span
    pointer: str = ""
    suggestion: str | None = None


class ReadError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One YAML document: its data (None when it could not be read), positions and problems."""

    data: Any
    positions: Positions
    problems: tuple[Problem, ...]


def _span(node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Builder:
    def __init__(self) -> None:
        self.positions = Positions()
        self.nodes = 0
        self.problems: list[Problem] = []
        self.built: set[int] = set()
        """Nodes already built: meeting one again means an alias (`*name`), whose node sits at its anchor."""

    def build(self, node: Node, pointer: str, depth: int) -> Any:
        self.nodes += 1
        self.built.add(id(node))
        if self.nodes > MAX_NODES:
            raise ReadError(
                Problem("GS006", f"more than {MAX_NODES} values once aliases are expanded", _span(node), pointer)
            )
        if depth > MAX_DEPTH:
            raise ReadError(Problem("GS006", f"nesting deeper than {MAX_DEPTH} levels", _span(node), pointer))
        span = _span(node)
        self.positions.values.setdefault(pointer, span)
        if node.tag not in _STANDARD_TAGS:
            raise ReadError(
                Problem(
                    "GS008",
                    f"unsupported YAML tag {node.tag!r}",
                    span,
                    pointer,
                    "remove the tag; connector files use plain strings, numbers, booleans, lists and mappings",
                )
            )
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(item, join(pointer, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        result: dict[str, Any] = {}
        first_seen: dict[str, Span] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise ReadError(Problem("GS052", "mapping keys must be plain strings", _span(key_node), pointer))
            key = str(key_node.value)
            child = join(pointer, key)
            key_span = _span(key_node)
            if key in first_seen:
                first = first_seen[key]
                self.problems.append(
                    Problem(
                        "GS005",
                        f"duplicate key {key!r} (first defined at line {first.line}, column {first.column})",
                        key_span,
                        child,
                        "keep one of the two entries; YAML would silently use only the last",
                    )
                )
                continue
            first_seen[key] = key_span
            self.positions.keys[child] = key_span
            if id(value_node) in self.built:  # `key: *alias`: point at this key, not at the anchored value
                self.positions.values[child] = key_span
            result[key] = self.build(value_node, child, depth + 1)
        return result


_CORE_PATTERNS = {tag: re.compile(pattern) for tag, pattern, _first in _CORE_SCALARS}
"""An explicit tag (`!!float x`) must still be written the way the core schema writes that type."""


def _scalar(node: ScalarNode) -> Any:
    value: str = node.value
    tag = node.tag
    pattern = _CORE_PATTERNS.get(tag)
    if pattern is not None and not pattern.match(value):
        kind = tag.rsplit(":", 1)[-1]
        raise ReadError(
            Problem(
                "GS001",
                f"{value[:40]!r} is not a valid {kind} (tagged !!{kind})",
                _span(node),
                "",
                f"remove the !!{kind} tag, or write a {kind} value",
            )
        )
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        try:
            return int(value, 0) if value[:2] in ("0o", "0x") else int(value, 10)
        except ValueError:
            # The pattern matched, so only the interpreter's int-string limit (4,300 digits) can refuse it.
            raise ReadError(
                Problem(
                    "GS055",
                    f"the integer {value[:20]}... has {len(value):,} characters; no connector field takes a number "
                    "that large (integers are at most 64-bit)",
                    _span(node),
                    "",
                    "write a number of at most 19 digits",
                )
            ) from None
    if tag == "tag:yaml.org,2002:float":
        lowered = value.lower()
        if lowered.endswith(".nan"):
            return math.nan
        if lowered.endswith(".inf"):
            return -math.inf if value.startswith("-") else math.inf
        return float(value)
    return value


def _position(exc: yaml.MarkedYAMLError, source: str, lines: list[str]) -> tuple[int, int]:
    """Where to point: the problem, unless it is the end of the file (an unclosed quote, a key without ':'), where
    the construct that started it says more; never past the end of the file."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, 1
    at_end = mark.line >= len(lines) or (mark.line == len(lines) - 1 and mark.column >= len(lines[-1]))
    if at_end and exc.context_mark is not None and mark is exc.problem_mark:
        mark = exc.context_mark
    line, column = mark.line + 1, mark.column + 1
    last = source.count("\n") + 1  # a final newline opens one more (empty) line, as editors show it
    if line > last:
        line, column = last, len(source) - (source.rfind("\n") + 1) + 1
    return line, column


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str) -> Problem:
    lines = source.splitlines()
    line, column = _position(exc, source, lines)
    span = Span(line, column, line, column + 1)
    text = " ".join(part for part in (exc.context, exc.problem) if part)
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
    # A tab in the indentation or at the error itself; a tab inside a quoted value is fine and not the cause.
    if "\t" in indent or source_line[column - 1 : column] == "\t":
        tab_column = source_line.index("\t") + 1 if "\t" in indent else column
        return Problem(
            "GS007",
            "tab character where YAML expects indentation or a value",
            Span(line, tab_column, line, tab_column + 1),
            "",
            "indent with spaces only",
        )
    if "maximum nesting depth" in text:
        return Problem("GS006", f"nesting deeper than the YAML parser allows ({text})", span)
    return Problem("GS001", f"YAML syntax error: {text}", span)


def _reader_problem(exc: yaml.YAMLError, text: str) -> Problem:
    """A character YAML does not allow (e.g. a control character). libyaml gives a UTF-8 byte offset, no mark."""
    if not isinstance(exc, yaml.reader.ReaderError):
        return Problem("GS001", f"YAML error: {exc}", Span(1, 1, 1, 2))
    before = text.encode("utf-8")[: max(exc.position, 0)].decode("utf-8", errors="ignore")
    preceding = _LINE_BREAKS.split(before)  # the lines before the character, as libyaml counts them
    line, column = len(preceding), len(preceding[-1]) + 1
    character = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return Problem(
        "GS001",
        f"character U+{character:04X} is not allowed in YAML ({exc.reason})",
        Span(line, column, line, column + 1),
        "",
        f"delete it, or write it as \\u{character:04x} inside a double-quoted string",
    )


def read_documents(text: str) -> Iterator[RawDocument]:
    """Yield each document of a YAML stream; a syntax error ends the stream with a document holding the problem."""
    composer = _Composer(text)
    try:
        while True:
            try:
                if not composer.check_node():
                    return
                node = composer.get_node()
                assert node is not None  # check_node() said a document follows
            except yaml.MarkedYAMLError as exc:
                yield RawDocument(None, Positions(), (_syntax_problem(exc, text),))
                return
            except yaml.YAMLError as exc:  # libyaml reader errors carry no mark
                yield RawDocument(None, Positions(), (_reader_problem(exc, text),))
                return
            builder = _Builder()
            builder.positions.document = _span(node)
            try:
                data = builder.build(node, "", 0)
            except ReadError as exc:
                yield RawDocument(None, builder.positions, (*builder.problems, exc.problem))
                continue
            except RecursionError:
                problem = Problem("GS006", "the document nests too deeply to read", _span(node))
                yield RawDocument(None, builder.positions, (problem,))
                continue
            yield RawDocument(data, builder.positions, tuple(builder.problems))
    finally:
        composer.dispose()
