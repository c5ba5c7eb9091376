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
