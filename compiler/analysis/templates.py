"""What a mapping template does, learned by parsing it with Jinja's sandboxed environment.

>>> analyze_template("{{ title }}: {{ body }}").simple_parts
(('field', 'title'), ('text', ': '), ('field', 'body'))
>>> analyze_template("{{ body | upper }}").simple_parts is None
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

Part = tuple[Literal["text", "field"], str]

ENVIRONMENT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
"""Parsing only; the runtime renders with its own sandboxed environment and strict undefined."""


@dataclass(frozen=True, slots=True)
class TemplateAnalysis:
    """`simple_parts` is set when the template is only text and `{{ field }}` substitutions."""

    error: str | None
    error_line: int | None
    variables: tuple[str, ...]
    simple_parts: tuple[Part, ...] | None


def _simple_parts(tree: nodes.Template) -> tuple[Part, ...] | None:
    parts: list[Part] = []
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            return None
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(("text", node.data))
            elif isinstance(node, nodes.Name) and node.ctx == "load":
                parts.append(("field", node.name))
            else:
                return None
    return tuple(parts)


def _free_variables(tree: nodes.Template) -> tuple[str, ...]:
    """Names the template reads that it does not assign itself (loop variables, {% set %}, macro args).

    A plain AST walk: jinja2.meta.find_undeclared_variables runs the code generator and costs ten times more.
    """
    loaded = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    stored = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    for macro in tree.find_all(nodes.Macro):
        stored.add(macro.name)
        stored.update(arg.name for arg in macro.args)
    stored.update(("loop", "caller", "varargs", "kwargs"))
    stored.update(ENVIRONMENT.globals)  # range, dict, namespace, ...: always defined when rendering
    return tuple(sorted(loaded - stored))


def _unknown_filter_or_test(tree: nodes.Template) -> TemplateSyntaxError | None:
    """Jinja checks filter and test names only when compiling; parsing alone accepts `{{ x | no_such }}`."""
    for node in tree.find_all(nodes.Filter):
        if node.name not in ENVIRONMENT.filters:
            return TemplateSyntaxError(f"no filter named {node.name!r}", node.lineno)
    for test in tree.find_all(nodes.Test):
        if test.name not in ENVIRONMENT.tests:
            return TemplateSyntaxError(f"no test named {test.name!r}", test.lineno)
    return None


@functools.lru_cache(maxsize=4096)
def analyze_template(source: str) -> TemplateAnalysis:
    """Parse a template and list its variables. Never raises for a bad template."""
    try:
        tree = ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        return TemplateAnalysis(exc.message or str(exc), exc.lineno, (), None)
    except RecursionError:  # Jinja's parser is recursive: deeply nested expressions exhaust the stack
        return TemplateAnalysis("the template nests too deeply to parse", None, (), None)
    unknown = _unknown_filter_or_test(tree)
    if unknown is not None:
        return TemplateAnalysis(unknown.message, unknown.lineno, (), None)
    variables = _free_variables(tree)
    return TemplateAnalysis(None, None, variables, _simple_parts(tree))


RANGE_WARNING = 10_000
"""A literal `range()` longer than this per record is worth a warning: a template rarely needs a loop at all."""
LIPSUM_WARNING = 100
REPEAT_WARNING = 100_000
POWER_WARNING = 1_000


def _literal_int(node: nodes.Node | None) -> int | None:
    if isinstance(node, nodes.Const) and type(node.value) is int:
        return node.value
    return None


def _is_call_to(node: nodes.Node, name: str) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == name


def _range_length(call: nodes.Call) -> int | None:
    """The number of items of `range(a[, b[, step]])` with literal arguments, else None."""
    values = [_literal_int(arg) for arg in call.args]
    if not values or None in values or len(values) > 3:
        return None
    numbers = [v for v in values if v is not None]
    try:
        return len(range(*numbers))
    except (ValueError, OverflowError):
        return None


def unbounded_constructs(source: str) -> list[tuple[str, int]]:
    """(what, template line) for constructs whose work per record is obviously huge; empty if the template does
    not parse (GS110 reports that). Cheap: one walk over the parsed tree, literal arguments only."""
    try:
        tree = ENVIRONMENT.parse(source)
    except (TemplateSyntaxError, RecursionError):
        return []
    found: list[tuple[str, int]] = []
    for loop in tree.find_all(nodes.For):
        if _is_call_to(loop.iter, "range") and any(
            _is_call_to(inner.iter, "range") for inner in loop.find_all(nodes.For)
        ):
            found.append(("nested loops over range(): their iterations multiply for every record", loop.lineno))
    for call in tree.find_all(nodes.Call):
        if _is_call_to(call, "range") and (length := _range_length(call)) is not None and length > RANGE_WARNING:
            found.append((f"range() of {length:,} items for every record", call.lineno))
        count = _literal_int(call.args[0]) if call.args else None
        if _is_call_to(call, "lipsum") and count is not None and count > LIPSUM_WARNING:
            found.append((f"lipsum({count:,}) writes {count:,} paragraphs for every record", call.lineno))
    for mul in tree.find_all(nodes.Mul):
        count = _literal_int(mul.right) if _literal_int(mul.right) is not None else _literal_int(mul.left)
        if count is not None and count > REPEAT_WARNING:
            found.append((f"a value repeated {count:,} times", mul.lineno))
    for power in tree.find_all(nodes.Pow):
        exponent = _literal_int(power.right)
        if exponent is not None and exponent > POWER_WARNING:
            found.append((f"a power with the exponent {exponent:,}", power.lineno))
    return sorted(found, key=lambda item: item[1])
