"""plan.schema.json describes exactly the plan classes, and rejects what the codec rejects."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from plan_fixtures import connector, lowered

import compiler
from compiler.plan import model
from compiler.plan.codec import to_data

SCHEMA: dict[str, Any] = json.loads((Path(compiler.__file__).parent / "schema" / "plan.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

DEFS = {
    "secret": model.Secret,
    "inputFile": model.InputFile,
    "sqlSource": model.SqlSource,
    "retry": model.Retry,
    "noPagination": model.NoPagination,
    "cursorPagination": model.CursorPagination,
    "nextLinkPagination": model.NextLinkPagination,
    "linkHeaderPagination": model.LinkHeaderPagination,
    "pageNumberPagination": model.PageNumberPagination,
    "offsetPagination": model.OffsetPagination,
    "oauth": model.OAuth,
    "httpSource": model.HttpSource,
    "pushSource": model.PushSource,
    "csvOptions": model.CsvOptions,
    "fileSource": model.FileSource,
    "extraction": model.Extraction,
    "template": model.Template,
    "documentIdRule": model.DocumentIdRule,
    "mapping": model.Mapping,
    "deleteGuard": model.DeleteGuard,
    "reconciliation": model.Reconciliation,
    "output": model.Output,
    "target": model.Target,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _keys(cls: type) -> set[str]:
    return {_camel(f.name) for f in dataclasses.fields(cls)}


def test_schema_is_valid_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_top_level_matches_plan_class() -> None:
    assert set(SCHEMA["properties"]) == _keys(model.Plan)
    assert set(SCHEMA["required"]) == _keys(model.Plan)
    assert SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("name", sorted(DEFS))
def test_every_class_has_a_matching_definition(name: str) -> None:
    definition = SCHEMA["$defs"][name]
    keys = _keys(DEFS[name])
    assert set(definition["properties"]) == keys
    assert set(definition["required"]) == keys
    assert definition["additionalProperties"] is False
    assert all(prop.get("description") or "$ref" in prop for prop in definition["properties"].values())


def test_every_plan_class_is_covered() -> None:
    classes = {
        obj
        for obj in vars(model).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj is not model.Plan
    }
    assert classes == set(DEFS.values())
    assert typing.get_args(model.Source) == (model.SqlSource, model.HttpSource, model.PushSource, model.FileSource)
    # the plan schema's pagination shapes are the model's, in the same order, with the same discriminators
    shapes = [ref["$ref"].removeprefix("#/$defs/") for ref in SCHEMA["$defs"]["pagination"]["oneOf"]]
    assert [DEFS[shape] for shape in shapes] == list(typing.get_args(model.Pagination))
    for shape in shapes:
        strategy = typing.get_args(typing.get_type_hints(DEFS[shape])["strategy"])
        assert (SCHEMA["$defs"][shape]["properties"]["strategy"]["const"],) == strategy


@pytest.mark.parametrize("mode", ["sql_pull", "rest_pull", "rest_push", "file_pull"])
def test_lowered_plans_validate(mode: str) -> None:
    assert list(VALIDATOR.iter_errors(to_data(lowered(connector(mode))))) == []


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        (("formatVersion",), 2),
        (("planHash",), "md5:abc"),
        (("target", "endpoint"), "evil.example.com"),
        (("source", "kind"), "ftp"),
        (("inputs", 0, "sha256"), "XYZ"),
        (("mapping", "id", "fallbackHashChars"), 8),
        (("secrets", 0, "env"), "DB_PASSWORD"),
    ],
)
def test_schema_rejects_bad_values(pointer: tuple[Any, ...], value: Any) -> None:
    data = to_data(lowered(connector("sql_pull")))
    node = data
    for key in pointer[:-1]:
        node = node[key]
    node[pointer[-1]] = value
    assert list(VALIDATOR.iter_errors(data))
