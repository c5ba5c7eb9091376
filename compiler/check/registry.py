"""The document rules, listed explicitly (no discovery by file name), in the order they report.

Each runs on one schema-valid connector. Cross-file rules are listed in `compiler.check.project`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from compiler.check.connector import Connector
from compiler.check.finding import Finding
from compiler.check.rules import (
    credential_header,
    cron_syntax,
    csv_encoding,
    csv_export,
    csv_options_format,
    document_mode_conflict,
    file_content_type,
    file_glob,
    file_path,
    file_record_field,
    incremental_auto_delete,
    name_matches_file,
    normalize_headers_unused,
    pagination_incomplete,
    pagination_style,
    sql_bind_parameter,
    sql_duplicate_column,
    sql_missing_column,
    sql_read_only_select,
    sql_select_star,
    sql_syntax,
    sql_watermark_column,
    sql_watermark_float,
    sql_watermark_shape,
    sql_watermark_strict_bound,
    template_syntax,
    template_unbounded,
    template_unknown_field,
    watermark_field_missing,
    watermark_not_sent,
    watermark_request,
)


class DocumentRule(Protocol):
    CODE: str

    def check(self, connector: Connector) -> Iterator[Finding]: ...


DOCUMENT_RULES: tuple[DocumentRule, ...] = (
    name_matches_file,
    cron_syntax,
    incremental_auto_delete,
    sql_syntax,
    sql_read_only_select,
    sql_missing_column,
    sql_select_star,
    template_syntax,
    template_unknown_field,
    sql_bind_parameter,
    watermark_field_missing,
    sql_watermark_shape,
    credential_header,
    pagination_incomplete,
    sql_duplicate_column,
    sql_watermark_column,
    sql_watermark_float,
    sql_watermark_strict_bound,
    template_unbounded,
    watermark_not_sent,
    pagination_style,
    watermark_request,
    csv_export,
    file_path,
    file_glob,
    csv_options_format,
    document_mode_conflict,
    normalize_headers_unused,
    file_content_type,
    file_record_field,
    csv_encoding,
)

FILE_NAME_RULES = frozenset({name_matches_file.CODE})
"""Rules about the file's name; skipped when checking text that is not a file (docs examples)."""
