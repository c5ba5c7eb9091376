"""Snapshot or incremental: decided once, here, for both the safety rule and the plan.

A pull is incremental when the source is filtered by the checkpoint: the SQL binds `:watermark`, or the HTTP
request sends the watermark (`watermarkParam` or `watermarkBodyField`). A `watermarkField` alone records the
checkpoint without sending it, so such a pull is a snapshot (GS124 says so). Only a snapshot proves that an absent
record is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, assert_never, cast

from compiler.analysis.sql import analyze_sql
from compiler.plan.model import Mode

WATERMARK_PARAMETER = "watermark"


@dataclass(frozen=True, slots=True)
class ExtractionKind:
    kind: Literal["snapshot", "incremental"]
    reason: str


def _rest_pull(source: Mapping[str, Any]) -> ExtractionKind:
    if source.get("watermarkParam"):
        return ExtractionKind("incremental", f"each request sends the checkpoint as {source['watermarkParam']!r}")
    if source.get("watermarkBodyField"):
        return ExtractionKind(
            "incremental", f"each request sends the checkpoint in the body field {source['watermarkBodyField']!r}"
        )
    return ExtractionKind("snapshot", "requests send no checkpoint, so each run reads every record")


def infer_extraction(spec: Mapping[str, Any]) -> ExtractionKind:
    """Classify the pull described by a schema-valid `spec`."""
    mode = cast(Mode, spec["mode"])
    source = spec["source"]
    match mode:
        case "sql_pull":
            analysis = analyze_sql(source["query"], source["type"])
            if WATERMARK_PARAMETER in analysis.parameters:
                return ExtractionKind("incremental", "the query binds :watermark, so each run reads only changed rows")
            return ExtractionKind("snapshot", "the query has no :watermark filter, so each run reads every row")
        case "rest_pull":
            return _rest_pull(source)
        case "file_pull":
            return ExtractionKind("snapshot", "every run lists the folder, so the set of matching files is complete")
        case "rest_push":
            return ExtractionKind("incremental", "pushed records arrive one change at a time; absence proves nothing")
        case _:
            assert_never(mode)
