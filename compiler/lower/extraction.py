"""Extraction pass: the source (SQL, HTTP or push), and whether runs read a snapshot or an increment, and why.

A pull is incremental exactly when the source is filtered by the checkpoint: the SQL binds `:watermark`, or
the HTTP request sends the watermark (`watermarkParam`, `watermarkBodyField`). Pushed records are increments by nature.
"""

from __future__ import annotations

from typing import assert_never, cast

from compiler.analysis.extraction import infer_extraction
from compiler.analysis.sql import analyze_sql
from compiler.analysis.watermark import WatermarkShapeError, neutralise_watermark, render
from compiler.lower.draft import Draft, LoweringError
from compiler.lower.file_source import lower_file_pull
from compiler.lower.http import lower_http_source
from compiler.lower.sql import DRIVERS
from compiler.plan import Extraction, PushSource, SqlSource
from compiler.plan.model import Mode

DEFAULT_BATCH_SIZE = 50_000

QUERY = "/spec/source/query"


def _watermark_initial(value: object) -> str | int | None:
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _lower_sql(draft: Draft) -> Draft:
    source = draft.spec["source"]
    provider = source["type"]
    analysis = analyze_sql(str(source["query"]), provider)
    if analysis.error is not None or analysis.statement is None:
        raise LoweringError(QUERY, f"the query does not parse as {analysis.dialect} SQL: {analysis.error}")
    tree, dialect = analysis.statement, analysis.dialect
    inferred = infer_extraction(draft.spec)
    incremental = inferred.kind == "incremental"
    try:
        snapshot = render(neutralise_watermark(tree, dialect) if incremental else tree, dialect)
    except WatermarkShapeError as exc:
        raise LoweringError(QUERY, f"cannot derive the first-run (snapshot) statement: {exc}") from None
    watermark_field = source.get("watermarkField")
    return draft.replace(
        source=SqlSource(
            kind="sql",
            provider=provider,
            driver=DRIVERS[provider],
            dialect=dialect,
            secret=draft.secret(str(source["secretRef"])),
            snapshot_statement=snapshot,
            incremental_statement=render(tree, dialect) if incremental else None,
            columns=analysis.selected_columns,
            batch_size=int(source.get("batchSize", DEFAULT_BATCH_SIZE)),
        ),
        extraction=Extraction(
            kind=inferred.kind,
            reason=inferred.reason,
            watermark_field=None if watermark_field is None else str(watermark_field),
            watermark_initial=_watermark_initial(source.get("watermarkInitial")),
        ),
    )


def _lower_rest_pull(draft: Draft) -> Draft:
    http = lower_http_source(draft)
    field = draft.spec["source"].get("watermarkField")
    inferred = infer_extraction(draft.spec)
    return draft.replace(
        source=http,
        extraction=Extraction(
            kind=inferred.kind,
            reason=inferred.reason,
            watermark_field=None if field is None else str(field),
            watermark_initial=None,
        ),
    )


def _lower_push(draft: Draft) -> Draft:
    return draft.replace(
        source=PushSource(kind="push", secret=draft.secret(str(draft.spec["source"]["secretRef"]))),
        extraction=Extraction(
            kind="incremental", reason=infer_extraction(draft.spec).reason, watermark_field=None, watermark_initial=None
        ),
    )


def lower_extraction(draft: Draft) -> Draft:
    mode = cast(Mode, draft.spec["mode"])
    match mode:
        case "sql_pull":
            return _lower_sql(draft)
        case "rest_pull":
            return _lower_rest_pull(draft)
        case "file_pull":
            return lower_file_pull(draft)
        case "rest_push":
            return _lower_push(draft)
        case _:
            assert_never(mode)
