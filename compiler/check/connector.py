"""A schema-valid connector document, as the semantic rules see it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import PurePath
from typing import Any

from compiler.analysis.extraction import ExtractionKind, infer_extraction
from compiler.analysis.sql import SqlAnalysis, analyze_sql

SQL_MODE = "sql_pull"
TEMPLATE_FIELDS = ("contentTemplate", "uriTemplate")


class Connector:
    """Read-only view of one valid connector document; analyses are computed once, on first use."""

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        self.path = path
        self.data = data
        self.spec: Mapping[str, Any] = data["spec"]
        self.source: Mapping[str, Any] = self.spec["source"]
        self.mapping: Mapping[str, Any] = self.spec["mapping"]

    @property
    def name(self) -> str:
        return str(self.data["metadata"]["name"])

    @property
    def file_stem(self) -> str:
        name = PurePath(self.path).name
        for suffix in (".yaml", ".yml"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return PurePath(name).stem

    @property
    def mode(self) -> str:
        return str(self.spec["mode"])

    @cached_property
    def sql(self) -> SqlAnalysis | None:
        """The query's analysis for sql_pull connectors, else None."""
        if self.mode != SQL_MODE:
            return None
        return analyze_sql(self.source["query"], self.source["type"])

    @property
    def known_columns(self) -> tuple[str, ...] | None:
        """The columns a valid read-only query selects, when the text names them all (no `*`), else None."""
        sql = self.sql
        if sql is None or not sql.is_read_only_select:
            return None
        return sql.selected_columns

    @cached_property
    def extraction(self) -> ExtractionKind:
        return infer_extraction(self.spec)

    def templates(self) -> Iterator[tuple[str, str]]:
        """(pointer, template source) for each mapping template present."""
        for field in TEMPLATE_FIELDS:
            if field in self.mapping:
                yield f"/spec/mapping/{field}", self.mapping[field]

    def needed_columns(self) -> Iterator[tuple[str, str]]:
        """(column, pointer of the field that names it) for every record field the mapping reads."""
        for field in ("idField", "titleField", "aclUsersField", "aclGroupsField"):
            if field in self.mapping:
                yield self.mapping[field], f"/spec/mapping/{field}"
        for index, column in enumerate(self.mapping.get("metadataFields", ())):
            yield column, f"/spec/mapping/metadataFields/{index}"
        if "watermarkField" in self.source:
            yield self.source["watermarkField"], "/spec/source/watermarkField"
