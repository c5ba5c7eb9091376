"""Applying one `Fix` to ruamel.yaml's documents, in place, keeping the edited node's comments and quoting."""

from __future__ import annotations

from typing import Any, assert_never

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from compiler.diagnostics import Diagnostic, Fix, FixKind


class EditError(Exception):
    """The fix no longer fits the document (it changed since the check): skipped, never forced."""


def _tokens(pointer: str) -> list[str]:
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def _parent(document: Any, pointer: str) -> tuple[Any, str | int]:
    tokens = _tokens(pointer)
    if not tokens:
        raise EditError("the fix names the whole document")
    node = document
    for token in tokens[:-1]:
        node = _child(node, token)
    last = tokens[-1]
    if isinstance(node, CommentedSeq):
        return node, _index(node, last)
    if isinstance(node, CommentedMap) and last in node:
        return node, last
    raise EditError(f"{pointer} is not in the document")


def _index(node: CommentedSeq, token: str) -> int:
    if not token.isdigit() or int(token) >= len(node):
        raise EditError(f"no item {token}")
    return int(token)


def _child(node: Any, token: str) -> Any:
    if isinstance(node, CommentedMap) and token in node:
        return node[token]
    if isinstance(node, CommentedSeq):
        return node[_index(node, token)]
    raise EditError(f"no field {token!r}")


def _rename(parent: Any, key: str | int, new: str) -> None:
    if not isinstance(parent, CommentedMap) or not isinstance(key, str) or new in parent:
        raise EditError("the field to rename is gone, or its new name is taken")
    position = list(parent).index(key)
    comment = parent.ca.items.pop(key, None)
    value = parent[key]
    del parent[key]
    parent.insert(position, new, value)
    if comment is not None:
        parent.ca.items[new] = comment


def _styled(old: Any, new: str) -> str:
    """The new string in the old one's quotes; a block scalar (`>`, `|`) becomes a plain one."""
    styled: str = new
    if isinstance(old, SingleQuotedScalarString):
        styled = SingleQuotedScalarString(new)
    elif isinstance(old, DoubleQuotedScalarString):
        styled = DoubleQuotedScalarString(new)
    return styled


def _source_text(diagnostic: Diagnostic, lines: list[str]) -> str:
    """The scalar exactly as written (`1.10`, not the float 1.1), when it sits on one line."""
    if diagnostic.line != diagnostic.end_line or not 0 < diagnostic.line <= len(lines):
        raise EditError("the value spans several lines")
    text = lines[diagnostic.line - 1][diagnostic.column - 1 : diagnostic.end_column - 1]
    if not text or any(ch in text for ch in "\"'\\#"):
        raise EditError("the value is not a plain scalar")
    return text


def apply_fix(documents: list[Any], fix: Fix, diagnostic: Diagnostic, lines: list[str]) -> None:
    if not 0 <= fix.document < len(documents):
        raise EditError(f"no document {fix.document}")
    parent, key = _parent(documents[fix.document], fix.pointer)
    if fix.kind is FixKind.RENAME_KEY:
        _rename(parent, key, fix.value)
    elif fix.kind is FixKind.SET_VALUE:
        if not isinstance(parent[key], str):
            raise EditError("the value is no longer a string")
        parent[key] = _styled(parent[key], fix.value)
    elif fix.kind is FixKind.QUOTE:
        if isinstance(parent[key], str):
            raise EditError("the value is already a string")
        parent[key] = DoubleQuotedScalarString(_source_text(diagnostic, lines))
    else:
        assert_never(fix.kind)
