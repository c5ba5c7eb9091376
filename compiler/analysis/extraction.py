"""Snapshot or incremental: decided once, here, for both the safety rule and the plan.

A pull is incremental when the source is filtered by the checkpoint: the SQL binds `:watermark`, or the HTTP
request sends the watermark (`watermarkParam`). Only a snapshot proves that an absent record is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from compiler.analysis.sql import analyze_sql

WATERMARK_PARAMETER = "watermark"


@dataclass(frozen=True, slots=True)
class ExtractionKind:
    kind: Literal["snapshot", "incremental"]
    reason: str


def infer_extraction(spec: Mapping[str, Any]) -> ExtractionKind:
    """Classify the pull described by a schema-valid `spec`."""
    mode = spec["mode"]
    source = spec["source"]
    if mode == "sql_pull":
        analysis = analyze_sql(source["query"], source["type"])
        if WATERMARK_PARAMETER in analysis.parameters:
            return ExtractionKind("incremental", "the query binds :watermark, so each run reads only changed rows")
        return ExtractionKind("snapshot", "the query has no :watermark filter, so each run reads every row")
    if mode == "rest_pull":
        if source.get("watermarkParam"):
            return ExtractionKind("incremental", f"each request sends the checkpoint as {source['watermarkParam']!r}")
        return ExtractionKind("snapshot", "requests send no checkpoint, so each run reads every record")
    if mode == "file_pull":
        return ExtractionKind("snapshot", "every run lists the folder, so the set of matching files is complete")
    return ExtractionKind("incremental", "pushed records arrive one change at a time; absence proves nothing")
