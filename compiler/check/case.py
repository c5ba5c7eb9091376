"""Case files of the connector test harness (`tests/connectors/<connector>/<case>.yaml`): the case JSON Schema,
with errors turned into findings the same way as the connector schema's (same codes, same positions).

A case file is recognised by where it is, never by what it holds: a YAML file below a `tests/connectors/<name>/`
folder is a case, and is never linted as a connector.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import PurePath
from typing import Any

from jsonschema import ValidationError

from compiler.check.finding import Finding
from compiler.check.schema import (
    EcmaValidator,
    describe,
    error_pointer,
    field_name,
    inline_refs,
    non_finite,
    translate,
)
from compiler.load.positions import join

CASE_SCHEMA_FILE = "connector-case.schema.json"
CASES_FOLDER = ("tests", "connectors")

__all__ = ["CASE_SCHEMA_FILE", "case_schema", "check_case_schema", "is_case_path"]


def is_case_path(path: str) -> bool:
    """Whether `path` (as shown, relative or absolute) lies in a connector's folder below `tests/connectors/`."""
    parts = PurePath(path).parts
    size = len(CASES_FOLDER)
    # tests/connectors/<connector>/.../<case>.yaml: the folder pair, then at least a connector folder and a file
    return any(tuple(parts[i : i + size]) == CASES_FOLDER for i in range(len(parts) - size - 1))


@functools.cache
def case_schema() -> dict[str, Any]:
    """The packaged case schema (parsed once per process)."""
    text = resources.files("compiler.schema").joinpath(CASE_SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Any:
    schema = case_schema()
    return EcmaValidator(inline_refs(schema, schema.get("$defs", {})))


_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
}


def _accepts_type(branch: Mapping[str, Any], instance: Any) -> bool:
    kind = branch.get("type")
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(instance, _JSON_TYPES[k]) for k in kinds if k in _JSON_TYPES)


def _any_of(error: ValidationError, document: Mapping[str, Any]) -> Iterator[Finding]:
    """`anyOf`: the branch the value's type picks explains the error; otherwise say what the field takes."""
    pointer = error_pointer(error)
    name = field_name(pointer)
    branches: list[Mapping[str, Any]] = error.validator_value
    if all(set(branch) == {"required"} for branch in branches):
        needs = " or ".join(repr(key) for branch in branches for key in branch["required"])
        yield Finding("GS051", f"{name} needs {needs}", pointer, f"add {needs}", at_key=True)
        return
    typed = [i for i, branch in enumerate(branches) if "type" in branch and _accepts_type(branch, error.instance)]
    if len(typed) == 1:
        for sub in error.context or ():
            if sub.relative_schema_path and sub.relative_schema_path[0] == typed[0]:
                yield from _translate(sub, document)
        return
    expected = error.schema.get("x-expected", "another kind of value")
    yield Finding("GS052", f"{name} must be {expected}, not {describe(error.instance)}", pointer)


def _conflict(error: ValidationError, document: Mapping[str, Any]) -> Iterator[Finding]:
    """A field that an `if`/`then` forbids beside another. jsonschema drops the field's name from both paths,
    so the error names the mapping; every forbidden field present in it is reported."""
    pointer = error_pointer(error)
    path = list(error.schema_path)
    parent: Any = document
    for token in error.absolute_path:
        parent = parent[token]
    # an `allOf` entry `{if: {required: [present]}, then: {properties: {other: false}}}`
    if len(path) < 4 or path[-2] != "then" or not isinstance(parent, dict):
        yield Finding("GS058", f"{field_name(pointer)}: {error.message}", pointer)
        return
    rule: Any = _validator().schema
    for token in path[:-2]:
        rule = rule[token]
    present = str(rule["if"]["required"][0])
    branch = rule["then"]
    hint = branch.get("x-conflictHint", "keep only one of them")
    for key, subschema in branch.get("properties", {}).items():
        if subschema is False and key in parent:
            yield Finding(
                "GS058",
                f"{field_name(join(pointer, key))} cannot be combined with {present!r}",
                join(pointer, key),
                f"{hint}: remove {key!r} or {present!r}",
                at_key=True,
            )


def _translate(error: ValidationError, document: Mapping[str, Any]) -> Iterator[Finding]:
    if error.validator == "anyOf":
        yield from _any_of(error, document)
    elif error.schema is False:
        yield from _conflict(error, document)
    elif error.validator == "minProperties" and error.validator_value == 1:
        pointer = error_pointer(error)
        keys = ", ".join(error.schema.get("properties", {}))
        yield Finding("GS055", f"{field_name(pointer)} is empty", pointer, f"give at least one of: {keys}")
    else:
        yield from translate(error, document)


def check_case_schema(document: Mapping[str, Any]) -> list[Finding]:
    """Validate one case document; one finding per distinct problem, in document order."""
    findings = list(non_finite(document, "", "case values"))
    skip = {finding.pointer for finding in findings}
    seen: set[tuple[str, str, str]] = set()
    for error in _validator().iter_errors(document):
        for finding in _translate(error, document):
            # a field forbidden beside two others is one problem: key conflicts by field, not by message
            key = (finding.code, finding.pointer, finding.message.split(" cannot be combined with ")[0])
            if key not in seen and finding.pointer not in skip:
                seen.add(key)
                findings.append(finding)
    return findings
