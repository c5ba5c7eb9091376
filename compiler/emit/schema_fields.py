"""Flatten the connector JSON Schema into documented fields, one per path (and per mode where they differ).

The walk understands exactly what the connector schema uses: `properties`, `required`, local `$ref`s,
`allOf` of `if`/`then` branches keyed on a discriminator (`spec.mode`), `x-modes` and `x-plannedValues`.
Anything the schema says is shown; nothing is typed by hand, so the reference cannot drift from the schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Node = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Field:
    path: str
    anchor: str
    type: str
    required: str
    default: str | None
    allowed: tuple[str, ...]
    planned: tuple[str, ...]
    modes: tuple[str, ...]
    applies_to: str
    description: str
    example: str | None


@dataclass(frozen=True, slots=True)
class Group:
    """The direct fields of one object (for `spec.source`: of one mode's variant)."""

    title: str
    anchor: str
    description: str
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class _Scope:
    """Where an object sits: its path, group title, the condition under which it exists, its modes."""

    path: str
    title: str
    ctx: str | None
    modes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Branch:
    """One `if discriminator == value then ...` branch of an object's `allOf`."""

    discriminator: str
    value: str
    required: tuple[str, ...]
    properties: Mapping[str, Any]


def code(value: str) -> str:
    """A Markdown code span that survives backticks inside the value."""
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def literal(value: Any) -> str:
    """A value as the user would write it in YAML, as a code span (strings bare, the rest as JSON)."""
    if isinstance(value, str) and "\n" not in value:
        return code(value)
    return code(json.dumps(value, ensure_ascii=False))


def _or_list(values: Sequence[str]) -> str:
    items = [code(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class SchemaWalker:
    def __init__(self, schema: Node) -> None:
        self._schema = schema
        self._all_modes = tuple(self._resolve(schema)["properties"]["spec"]["properties"]["mode"]["enum"])

    def _resolve(self, node: Node) -> Node:
        """Inline a local `$ref`; keys next to the `$ref` win (that is how fields override the shared def)."""
        if "$ref" not in node:
            return node
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, got {ref!r}")
        target: Any = self._schema
        for part in ref[2:].split("/"):
            target = target[part]
        merged = dict(self._resolve(target))
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged

    def groups(self) -> list[Group]:
        out: list[Group] = []
        self._object(self._resolve(self._schema), _Scope("", "Top level", None, self._all_modes), out)
        return out

    # --- objects -------------------------------------------------------------------------------------------

    def _branches(self, node: Node) -> list[_Branch]:
        branches = []
        for item in node.get("allOf", ()):
            if "else" in item:  # not a mode branch: `gemini` unless ingestion is disabled (said in its description)
                continue
            cond = item.get("if", {}).get("properties", {})
            if len(cond) != 1 or "then" not in item:
                raise ValueError("allOf entries must be `if <field> == const then ...`")
            ((disc, test),) = cond.items()
            then = item["then"]
            branches.append(_Branch(disc, test["const"], tuple(then.get("required", ())), then.get("properties", {})))
        return branches

    def _object(self, node: Node, scope: _Scope, out: list[Group]) -> None:
        """Emit a group for `node`'s direct fields, then recurse into each object-valued field."""
        path, ctx, modes = scope.path, scope.ctx, scope.modes
        branches = self._branches(node)
        required = set(node.get("required", ()))
        fields: list[Field] = []
        children: list[tuple[Node, _Scope]] = []
        suffix = "" if modes == self._all_modes else "--" + "-".join(m.replace("_", "-") for m in modes)
        for name, raw in node.get("properties", {}).items():
            child = self._resolve(raw)
            child_path = _join(path, name)
            child_modes = tuple(child.get("x-modes", modes))
            req = self._required_text(name, required, branches, path, ctx)
            fields.append(self._field(child, child_path, req, child_modes, suffix))
            variants = [(b, self._resolve(b.properties[name])) for b in branches if b.properties.get(name)]
            if any("properties" in v for _, v in variants):
                # A discriminated field (spec.source): one group per branch, in the schema's order.
                for branch, variant in variants:
                    when = f"when {code(_join(path, branch.discriminator))} is {code(branch.value)}"
                    title = f"{code(child_path)} {when}"
                    children.append((variant, _Scope(child_path, title, when, (branch.value,))))
            elif "properties" in child:
                child_ctx = ctx if name in required else f"when {code(child_path)} is set"
                children.append((child, _Scope(child_path, code(child_path), child_ctx, child_modes)))
        if fields:
            anchor = "fields-" + _anchor(path or "top-level") + suffix
            out.append(Group(scope.title, anchor, node.get("description", ""), tuple(fields)))
        for child, child_scope in children:
            self._object(child, child_scope, out)

    def _required_text(self, name: str, required: set[str], branches: list[_Branch], path: str, ctx: str | None) -> str:
        if name in required:
            return "yes" if ctx is None else f"yes, {ctx}"
        needed = [b for b in branches if name in b.required]
        banned = [b for b in branches if b.properties.get(name) is False]
        parts: list[str] = []
        if needed:
            disc = code(_join(path, needed[0].discriminator))
            parts.append(f"yes, when {disc} is {_or_list([b.value for b in needed])}")
        if banned:
            disc = code(_join(path, banned[0].discriminator))
            parts.append(f"not allowed when {disc} is {_or_list([b.value for b in banned])}")
        return "; ".join(parts) if parts else "no"

    # --- one field -----------------------------------------------------------------------------------------

    def _field(self, node: Node, path: str, required: str, modes: tuple[str, ...], suffix: str) -> Field:
        examples = node.get("examples", ())
        return Field(
            path=path,
            anchor=_anchor(path) + suffix,
            type=self._type(node),
            required=required,
            default=literal(node["default"]) if "default" in node else None,
            allowed=tuple(self._allowed(node)),
            planned=tuple(node.get("x-plannedValues", ())),
            modes=modes,
            applies_to="all" if modes == self._all_modes else ", ".join(code(m) for m in modes),
            description=node.get("description", ""),
            example=literal(examples[0]) if examples else None,
        )

    def _type(self, node: Node) -> str:
        if "const" in node:
            return _json_type(node["const"])
        if "enum" in node:
            kinds = sorted({_json_type(v) for v in node["enum"]})
            return " or ".join(kinds)
        kind = node.get("type")
        if kind is None:
            return "any"
        if isinstance(kind, list):
            return " or ".join(kind)
        if kind == "array" and "items" in node:
            return f"list of {self._type(self._resolve(node['items']))}"
        if kind == "object" and isinstance(node.get("additionalProperties"), Mapping):
            return f"map of string to {self._type(self._resolve(node['additionalProperties']))}"
        return str(kind)

    def _allowed(self, node: Node) -> Iterator[str]:
        if "const" in node:
            yield f"exactly {literal(node['const'])}"
        if "enum" in node:
            yield "one of " + ", ".join(literal(v) for v in node["enum"])
        if "pattern" in node:
            yield f"matches {code(node['pattern'])}"
        yield from _limits(node, "length", "minLength", "maxLength")
        yield from _limits(node, "value", "minimum", "maximum")
        if "exclusiveMinimum" in node:
            yield f"value > {node['exclusiveMinimum']}"
        if node.get("uniqueItems"):
            yield "no duplicate items"
        if node.get("type") == "array" and "items" in node:
            for text in self._allowed(self._resolve(node["items"])):
                yield f"each item: {text}"
        if node.get("type") == "object" and node.get("additionalProperties") is False and "properties" in node:
            yield "no other fields"


def _limits(node: Node, what: str, low_key: str, high_key: str) -> Iterator[str]:
    low, high = node.get(low_key), node.get(high_key)
    if low is not None and high is not None:
        yield f"{what} {low} to {high}"
    elif low is not None:
        yield f"{what} ≥ {low}"
    elif high is not None:
        yield f"{what} ≤ {high}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _anchor(path: str) -> str:
    return path.replace(".", "-").replace("_", "-").lower()
