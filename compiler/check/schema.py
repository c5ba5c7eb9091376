"""Stage 2a: the connector JSON Schema, with errors turned into the finding the user meant.

jsonschema reports what failed; this module says why and what to do: an unknown key gets "did you mean",
a field of another mode says which mode it belongs to, a planned provider says "not available yet".
"""

from __future__ import annotations

import functools
import json
import math
import unicodedata
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import regress
from jsonschema import Draft202012Validator, ValidationError, validators

from compiler.check.finding import Finding, FixEdit, close_matches, did_you_mean
from compiler.diagnostics import FixKind
from compiler.load.positions import join

FUTURE_PROVIDERS_PAGE = "docs/connector-provider-future.md"


@functools.cache
def connector_schema() -> dict[str, Any]:
    """The packaged connector schema (parsed once per process)."""
    text = resources.files("compiler.schema").joinpath("connector.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def inline_refs(node: Any, definitions: Mapping[str, Any]) -> Any:
    """Replace local `$ref`s by the definitions they name (siblings such as description win)."""
    if isinstance(node, list):
        return [inline_refs(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        rest = {key: inline_refs(value, definitions) for key, value in node.items() if key != "$ref"}
        return {**target, **rest}
    return {key: inline_refs(value, definitions) for key, value in node.items() if key != "$defs"}


@functools.cache
def validator_schema() -> dict[str, Any]:
    """The connector schema with every `$ref` inlined: the same rules, without reference lookups at run time."""
    schema = connector_schema()
    inlined: dict[str, Any] = inline_refs(schema, schema.get("$defs", {}))
    return inlined


@functools.cache
def ecma_regex(pattern: str) -> regress.Regex:
    """A schema pattern compiled as ECMA-262 (unicode mode), the dialect JSON Schema specifies and editors use.

    Python's `re` differs where it matters: its `$` also matches before a final newline (so "name\\n" passes
    `^[a-z]+$`), and its `\\s` takes U+001C-U+001F but not U+FEFF.
    """
    return regress.Regex(pattern, flags="u")


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and ecma_regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
"""Draft 2020-12 with patterns in the ECMA-262 dialect (the schema has no `patternProperties`)."""


@functools.cache
def _validator() -> Any:
    return EcmaValidator(validator_schema())


@functools.cache
def _mode_fields() -> dict[str, dict[str, str]]:
    """source field -> the modes whose source defines it, from the `x-modes` of each source definition."""
    fields: dict[str, dict[str, str]] = {}
    for definition in connector_schema()["$defs"].values():
        for mode in definition.get("x-modes", ()):
            for field in definition.get("properties", {}):
                fields.setdefault(field, {})[mode] = mode
    return fields


def error_pointer(error: ValidationError) -> str:
    pointer = ""
    for token in error.absolute_path:
        pointer = join(pointer, token)
    return pointer


def field_name(pointer: str) -> str:
    """`/spec/source/query` -> `spec.source.query` (as messages name a field)."""
    return "/".join(part for part in pointer.split("/") if part).replace("/", ".") or "the document"


def _mode_of(document: Mapping[str, Any]) -> str | None:
    spec = document.get("spec")
    mode = spec.get("mode") if isinstance(spec, dict) else None
    return mode if isinstance(mode, str) else None


def _type_names(expected: Any) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "null": "null",
    }
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(str(names.get(kind, kind)) for kind in kinds)


def _short(value: Any) -> str:
    """repr() of a value for a message, cut to 40 characters: a 100 kB value must not be copied into every output."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:40] + '...'!r} ({len(value):,} characters)"
    return repr(value)


def _lookalike(key: str) -> str:
    """Field names are ASCII; a Cyrillic a (U+0430) or a zero-width space makes a key look right and still be unknown."""
    odd = next((ch for ch in key if not (ch.isascii() and ch.isprintable())), None)
    if odd is None:
        return ""
    return f" (it contains {unicodedata.name(odd, 'a control character')}, U+{ord(odd):04X})"


def describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return _short(value)


def _additional(error: ValidationError, pointer: str, mode: str | None) -> Iterator[Finding]:
    allowed = list(error.schema.get("properties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in allowed:
            continue
        child = join(pointer, key)
        owners = _mode_fields().get(key, {})
        if pointer == "/spec/source" and owners and mode not in owners:
            modes = ", ".join(sorted(owners))
            yield Finding(
                "GS056",
                f"{key!r} is a source field of {modes}; it is not allowed when spec.mode is {mode}",
                child,
                f"remove {key!r}, or change spec.mode to {modes.split(', ')[0]}",
                at_key=True,
            )
            continue
        suggestion = did_you_mean(key, allowed)
        where = field_name(pointer) if pointer else "the top level"
        yield Finding(
            "GS050",
            f"unknown field {_short(key)} in {where}{_lookalike(key)}",
            child,
            suggestion or f"allowed fields: {', '.join(allowed)}",
            at_key=True,
            fix=_rename_fix(key, allowed, instance),
        )


def _rename_fix(key: str, allowed: list[str], siblings: Mapping[str, Any]) -> FixEdit | None:
    """Certain only when exactly one allowed field is close and the mapping does not have it already."""
    matches = close_matches(key, allowed, n=2)
    if len(matches) != 1 or matches[0] in siblings:
        return None
    return FixEdit(FixKind.RENAME_KEY, matches[0], f"rename {key!r} to {matches[0]!r}")


def _normalised(value: str) -> str:
    return value.casefold().replace("-", "_")


def _case_fix(value: Any, allowed: list[Any]) -> FixEdit | None:
    """`POSTGRES` for postgres, `never-delete` for never_delete: exactly one allowed value differs only so."""
    if not isinstance(value, str):
        return None
    same = [a for a in allowed if isinstance(a, str) and _normalised(a) == _normalised(value)]
    if len(same) != 1:
        return None
    return FixEdit(FixKind.SET_VALUE, same[0], f"change {value!r} to {same[0]!r}")


def _strip_fix(value: Any, pattern: str) -> FixEdit | None:
    """A value that matches its pattern once surrounding whitespace (a newline from `>` or a quote) is removed."""
    if not isinstance(value, str) or value.strip() == value or not value.strip():
        return None
    if ecma_regex(pattern).find(value.strip()) is None:
        return None
    return FixEdit(FixKind.SET_VALUE, value.strip(), f"remove the whitespace around {value.strip()!r}")


def _required(error: ValidationError, pointer: str, mode: str | None) -> Iterator[Finding]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    for name in error.validator_value:
        if name in instance:
            continue
        in_mode = f" when spec.mode is {mode}" if "then" in error.schema_path else ""
        parent = field_name(pointer) if pointer else "the document"
        yield Finding(
            "GS051",
            f"missing required field {name!r} in {parent}{in_mode}",
            pointer,
            f"add {field_name(join(pointer, name))}",
            at_key=True,
        )


def _enum(error: ValidationError, pointer: str, mode: str | None) -> Finding:
    allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
    value = error.instance
    planned = error.schema.get("x-plannedValues", ())
    if isinstance(value, str) and value in planned:
        return Finding(
            "GS057",
            f"{field_name(pointer)} {value!r} is not available yet (it is planned)",
            pointer,
            f"see {FUTURE_PROVIDERS_PAGE}; available now: {', '.join(map(str, allowed))}",
        )
    hint = did_you_mean(value, map(str, allowed)) if isinstance(value, str) else None
    if pointer == "/spec/source/type" and mode is not None:
        hint = hint or f"spec.mode {mode} takes source types: {', '.join(map(str, allowed))}"
    choices = ", ".join(map(str, allowed))
    return Finding(
        "GS053",
        f"{field_name(pointer)} must be {'one of ' if len(allowed) > 1 else ''}{choices}; got {describe(value)}"
        + (_lookalike(value) if isinstance(value, str) else ""),
        pointer,
        hint,
        fix=_case_fix(value, list(allowed)),
    )


def _forbidden(
    error: ValidationError, pointer: str, document: Mapping[str, Any], mode: str | None
) -> Iterator[Finding]:
    """A field whose schema is `false` in the branch of this mode (jsonschema drops its name from the path)."""
    branch: Any = validator_schema()
    for token in list(error.schema_path)[:-1]:
        branch = branch[token]
    parent: Any = document
    for token in error.absolute_path:
        parent = parent[token]
    for key, subschema in branch.get("properties", {}).items():
        if subschema is False and isinstance(parent, dict) and key in parent:
            child = join(pointer, key)
            name = field_name(child)
            yield Finding(
                "GS056", f"{name} is not allowed when spec.mode is {mode}", child, f"remove {name}", at_key=True
            )


def translate(error: ValidationError, document: Mapping[str, Any]) -> Iterator[Finding]:
    """The findings one jsonschema error stands for (shared with the case-file schema, `compiler.check.case`)."""
    pointer = error_pointer(error)
    mode = _mode_of(document)
    name = field_name(pointer)
    kind = error.validator
    if kind == "additionalProperties":
        yield from _additional(error, pointer, mode)
    elif kind == "required":
        yield from _required(error, pointer, mode)
    elif kind in ("type", "enum", "const") and error.instance is None:  # null never satisfies a field
        if kind == "type":
            needs = _type_names(error.validator_value)
        elif kind == "enum":
            needs = "one of " + ", ".join(map(str, error.validator_value))
        else:
            needs = str(error.validator_value)
        yield Finding(
            "GS051",
            f"{name} is empty (null); it needs {needs}",
            pointer,
            f"give {name} a value, or remove the line if the field is optional",
        )
    elif kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        quotable = isinstance(error.instance, bool | int | float) and "string" in expected
        yield Finding(
            "GS052",
            f"{name} must be {_type_names(error.validator_value)}, not {describe(error.instance)}",
            pointer,
            "put the value in quotes to make it a string" if quotable else None,
            fix=FixEdit(FixKind.QUOTE, "", "quote the value so that it is a string") if quotable else None,
        )
    elif kind in ("enum", "const"):
        yield _enum(error, pointer, mode)
    elif kind == "pattern":
        hint = error.schema.get("x-formatHint", f"must match {error.validator_value}")
        yield Finding(
            "GS054",
            f"{name} {describe(error.instance)} is not valid: expected {hint}",
            pointer,
            fix=_strip_fix(error.instance, error.validator_value),
        )
    elif kind in (
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    ):
        yield Finding(
            "GS055", f"{name}: {error.message.replace(repr(error.instance), _short(error.instance), 1)}", pointer
        )
    elif kind == "uniqueItems":
        yield Finding("GS053", f"{name} lists the same entry more than once", pointer, "remove the repeated entry")
    elif error.schema is False:
        yield from _forbidden(error, pointer, document, mode)
    else:
        yield Finding("GS058", f"{name}: {error.message}", pointer)


def non_finite(node: Any, pointer: str, what: str = "connector values") -> Iterator[Finding]:
    """NaN and infinity (`.nan`, `.inf`): YAML has them, JSON does not, and every range check passes NaN."""
    if isinstance(node, float) and not math.isfinite(node):
        yield Finding(
            "GS058",
            f"{field_name(pointer)} is {node!r}; {what} must be finite numbers",
            pointer,
            "write a plain number such as 20",
        )
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from non_finite(value, join(pointer, key), what)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from non_finite(value, join(pointer, index), what)


def check_schema(document: Mapping[str, Any]) -> list[Finding]:
    """Validate one connector document; one finding per distinct problem, in document order."""
    findings = list(non_finite(document, ""))
    not_finite = {finding.pointer for finding in findings}
    seen: set[tuple[str, str, str]] = set()
    for error in _validator().iter_errors(document):
        for finding in translate(error, document):
            key = (finding.code, finding.pointer, finding.message)
            if key not in seen and finding.pointer not in not_finite:
                seen.add(key)
                findings.append(finding)
    return findings
