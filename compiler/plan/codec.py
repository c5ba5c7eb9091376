"""Plan <-> canonical JSON. One serializer for every plan class, driven by the dataclass fields.

Canonical form: camelCase keys, sorted, two-space indentation and a trailing newline, UTF-8 kept
as-is (no `\\u` escapes), integers as 64-bit integers and floats in orjson's shortest round-trip form
(`20.0`, `0.1`, `1e-7`); non-finite floats are refused. orjson renders it about 20x faster than the standard
library's indenting encoder, which matters when a build compiles a thousand plans.
`plan_hash` is the SHA-256 of the canonical form with `planHash` set to the empty string.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import orjson

from compiler.plan.model import FORMAT_VERSION, Plan

T = TypeVar("T")


class PlanFormatError(ValueError):
    """A plan file that does not match the plan format."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(camelCase key, attribute) per field of a plan class, computed once per class."""
    return tuple((_camel(f.name), f.name) for f in dataclasses.fields(cls))


_SCALARS = (str, int, bool, type(None))


def to_data(value: Any) -> Any:
    """Turn a plan object into JSON-able data (dicts with camelCase keys, lists)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlanFormatError(f"a plan cannot hold the number {value}")
        return value
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: to_data(getattr(value, name)) for key, name in _fields(type(value))}
    return value


def _from(tp: Any, data: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _from(option, data, where)
            except PlanFormatError as exc:
                errors.append(str(exc))
        raise PlanFormatError(f"{where}: matches none of the allowed shapes ({'; '.join(errors)})")
    if origin is Literal:
        if data not in get_args(tp):
            raise PlanFormatError(f"{where}: {data!r} is not one of {list(get_args(tp))}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise PlanFormatError(f"{where}: expected a list")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from(args[0], item, f"{where}[{i}]") for i, item in enumerate(data))
        if len(args) != len(data):
            raise PlanFormatError(f"{where}: expected {len(args)} items")
        return tuple(_from(a, item, f"{where}[{i}]") for i, (a, item) in enumerate(zip(args, data, strict=True)))
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise PlanFormatError(f"{where}: expected an object")
        hints = get_type_hints(tp)
        fields = {_camel(f.name): f.name for f in dataclasses.fields(tp)}
        unknown = sorted(set(data) - set(fields))
        missing = sorted(set(fields) - set(data))
        if unknown or missing:
            raise PlanFormatError(f"{where}: unknown keys {unknown}, missing keys {missing}")
        kwargs = {py: _from(hints[py], data[js], f"{where}.{js}") for js, py in fields.items()}
        return typing.cast(Any, tp)(**kwargs)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise PlanFormatError(f"{where}: expected a number")
        return float(data)
    if tp in (str, int, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise PlanFormatError(f"{where}: expected {tp.__name__}")
        return data
    raise PlanFormatError(f"{where}: unsupported type {tp!r}")  # pragma: no cover - model bug


def from_data(cls: type[T], data: Any) -> T:
    """Build a plan object of `cls` from JSON data, checking every key and type."""
    result: T = _from(cls, data, "$")
    return result


def canonical_bytes(data: Any) -> bytes:
    """The one byte rendering of plan data: sorted keys, two-space indent (so plans read and diff well in
    review), UTF-8, newline-terminated."""
    try:
        return orjson.dumps(data, option=_OPTIONS)
    except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits
        raise PlanFormatError(f"a plan value cannot be written as JSON: {exc}") from None


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def compute_hash(plan: Plan) -> str:
    """SHA-256 over the canonical plan with `planHash` blanked."""
    data = to_data(plan)
    data["planHash"] = ""
    return "sha256:" + hashlib.sha256(canonical_bytes(data)).hexdigest()


def seal(plan: Plan) -> Plan:
    """Return the plan with its `plan_hash` filled in."""
    return dataclasses.replace(plan, plan_hash=compute_hash(plan))


def dumps(plan: Plan) -> bytes:
    """Serialize a sealed plan to its canonical bytes."""
    return canonical_bytes(to_data(plan))


MAX_PLAN_BYTES = 64 << 20
"""A plan is kilobytes; a file far larger is not a plan, and reading it whole would only cost memory."""
MAX_INTEGER_DIGITS = 20
"""Plan integers are 64-bit (at most 20 digits); longer ones are refused before Python converts them, since
converting a 5,000-digit string is an error of its own (the interpreter's int-string limit) and costs time."""


def _strict_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise PlanFormatError(f"not a plan: an integer of {digits:,} digits (plan integers are 64-bit)")
    return int(text)


def _no_constant(name: str) -> Any:
    raise PlanFormatError(f"not a plan: {name} is not JSON (RFC 8259 has no NaN or Infinity)")


def parse_json(raw: bytes) -> Any:
    """Strict JSON with limits: no NaN/Infinity, integers of at most 20 digits, bounded nesting and size.

    Every failure is a one-line PlanFormatError: a hand-edited plan with 100,000 nested `[` or a 5,000-digit
    number is refused, never a traceback.
    """
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanFormatError(f"not a plan: {len(raw):,} bytes (a plan is at most {MAX_PLAN_BYTES:,})")
    try:
        return json.loads(raw, parse_int=_strict_int, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFormatError(f"not a JSON plan: {exc}") from None
    except RecursionError:
        raise PlanFormatError("not a plan: the JSON nests too deeply") from None


def loads(raw: bytes) -> Plan:
    """Parse plan bytes, refusing unsupported versions and hash mismatches."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise PlanFormatError("not a plan: the top level is not an object")
    version = data.get("formatVersion")
    if version != FORMAT_VERSION:
        raise PlanFormatError(
            f"unsupported plan formatVersion {version!r}; this runtime reads formatVersion {FORMAT_VERSION}"
        )
    plan = from_data(Plan, data)
    expected = compute_hash(plan)
    if plan.plan_hash != expected:
        raise PlanFormatError("plan hash does not match its content (the file was edited after compiling)")
    return plan
