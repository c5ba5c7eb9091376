"""A plan as a short human summary (`compiler show`): what runs, from where, to where, and what may be deleted."""

from __future__ import annotations

from typing import assert_never

from compiler.plan import (
    CursorPagination,
    FileSource,
    HttpSource,
    LinkHeaderPagination,
    NextLinkPagination,
    NoPagination,
    OffsetPagination,
    PageNumberPagination,
    Pagination,
    Plan,
    PushSource,
    Secret,
    SqlSource,
    Template,
)

_LABEL = 12
_POLICY = {
    "auto_delete_missing": "documents missing from a complete snapshot are deleted",
    "soft_delete_only": "documents missing from a complete snapshot are kept and marked deleted",
    "never_delete": "documents are never deleted",
}


def _line(label: str, text: str) -> str:
    return f"  {label:<{_LABEL}}{text}"


def _more(text: str) -> str:
    return " " * (_LABEL + 2) + text


def _target(plan: Plan) -> str:
    where = f"{plan.target.data_store} on {plan.target.endpoint}" if plan.target else "none"
    return where if plan.ingestion_enabled else f"{where} (ingestion disabled: artifacts only)"


def _secret(secret: Secret) -> str:
    return f"{secret.name} (from ${secret.env})"


def _template(template: Template | None) -> str:
    if template is None:
        return "none"
    how = "field substitution" if template.kind == "fields" else "sandboxed Jinja"
    return f"{template.source!r} ({how})"


def _sql(source: SqlSource, plan: Plan) -> list[str]:
    lines = [
        _line(
            "source",
            f"{source.provider} via {source.driver} (dialect {source.dialect}), "
            f"batches of {source.batch_size}, secret {_secret(source.secret)}",
        ),
        _line("snapshot", source.snapshot_statement),
    ]
    if source.incremental_statement is not None:
        lines.append(_line("incremental", source.incremental_statement))
    columns = "unknown (SELECT *)" if source.columns is None else ", ".join(source.columns)
    lines.append(_line("columns", columns))
    return lines


def _paging(page: Pagination) -> str:
    if isinstance(page, NoPagination):
        return "one page"
    if isinstance(page, CursorPagination):
        return f"cursor ?{page.cursor_param}= from {page.next_cursor_path}"
    if isinstance(page, NextLinkPagination):
        return f"next link at {page.next_link_path}"
    if isinstance(page, LinkHeaderPagination):
        return 'Link header rel="next"'
    if isinstance(page, PageNumberPagination):
        size = "" if page.page_size_param is None else f"&{page.page_size_param}={page.page_size}"
        text = f"page number ?{page.page_param}={page.start_page},{page.start_page + 1},...{size}"
    elif isinstance(page, OffsetPagination):
        text = f"offset ?{page.offset_param}=0,{page.page_size},...&{page.limit_param}={page.page_size}"
    else:
        assert_never(page)
    if page.total_path is not None:
        text += f", total at {page.total_path}"
    return text + (f", {page.concurrency} pages at a time" if page.concurrency > 1 else "")


def _http(source: HttpSource) -> list[str]:
    auth = "bearer token" if source.oauth is None else f"OAuth2 client credentials at {source.oauth.token_url}"
    retry = source.retry
    lines = [
        _line("source", f"{source.method} {source.url}"),
        _more(f"auth {auth}, secret {_secret(source.secret)}"),
        _more(f"records {'at ' + source.records_path if source.records_path else 'the response array, or its items'}"),
        _more(f"pagination {_paging(source.pagination)}, at most {source.page_cap} pages"),
        _more(
            f"retry {retry.attempts} attempts on {', '.join(map(str, retry.statuses))}, backoff "
            f"{retry.initial_backoff_seconds:g}-{retry.max_backoff_seconds:g} s"
            + (", honouring Retry-After" if retry.honour_retry_after else "")
        ),
        _more(
            f"timeouts connect {source.connect_timeout_seconds:g} s, read {source.read_timeout_seconds:g} s,"
            f" whole run {source.run_timeout_seconds:g} s"
        ),
    ]
    if source.watermark_param is not None:
        lines.append(_more(f"checkpoint sent as ?{source.watermark_param}="))
    if source.watermark_body_field is not None:
        lines.append(_more(f"checkpoint sent in the body at {source.watermark_body_field}"))
    if source.headers:
        lines.append(_more("headers " + ", ".join(f"{k}: {v}" for k, v in source.headers)))
    if source.body_json is not None:
        lines.append(_more(f"body {source.body_json}"))
    return lines


def _file(source: FileSource) -> list[str]:
    where = f"{source.folder} (under the source root)" if source.relative_to_source_root else source.folder
    read = "whole files, not parsed" if source.format is None else f"{source.format} via DuckDB"
    per = "one document per row" if source.document_mode == "row" else "one document per file"
    lines = [_line("source", f"files {source.glob!r} in {where}"), _more(f"{read}, {per}")]
    if source.csv is not None:
        csv = source.csv
        lines.append(
            _more(
                f"csv delimiter {csv.delimiter!r}, {'header' if csv.has_header else 'no header'}, {csv.encoding}"
                + (", headers normalised" if csv.normalize_headers else "")
                + (", #ERROR cells emptied" if csv.clean_errors else "")
            )
        )
    if source.content == "file":
        lines.append(_more(f"content: the file itself, inline up to {source.inline_limit_bytes:,} bytes"))
    return lines


def summarise(plan: Plan) -> str:
    """A few aligned lines; every safety-relevant decision (extraction kind, delete policy, guard) is shown."""
    schedule = "on push" if plan.schedule is None else f"schedule {plan.schedule!r}"
    lines = [
        f"{plan.name}  ({plan.mode}, {schedule})",
        _line("plan", f"{plan.plan_hash}, formatVersion {plan.format_version}, compiler {plan.compiler_version}"),
    ]
    lines += [_line("input", f"{item.path}  sha256 {item.sha256[:16]}…") for item in plan.inputs]
    source = plan.source
    if isinstance(source, SqlSource):
        lines += _sql(source, plan)
    elif isinstance(source, HttpSource):
        lines += _http(source)
    elif isinstance(source, PushSource):
        lines.append(_line("source", f"records pushed with bearer token {_secret(source.secret)}"))
    elif isinstance(source, FileSource):
        lines += _file(source)
    else:
        assert_never(source)
    extraction = plan.extraction
    watermark = "" if extraction.watermark_field is None else f", watermark field {extraction.watermark_field}"
    lines.append(_line("extraction", f"{extraction.kind}: {extraction.reason}{watermark}"))
    mapping, rule = plan.mapping, plan.mapping.id
    lines += [
        _line(
            "id",
            f"{rule.field} (at most {rule.max_length} of {rule.allowed_pattern}, else a readable prefix "
            f"and {rule.fallback_hash_chars} hex digits of {rule.fallback_hash})",
        ),
        _line("title", mapping.title_field or "none"),
        _line("content", _template(mapping.content) + f", {mapping.mime_type}"),
        _line("uri", _template(mapping.uri)),
        _line("acl", f"users {mapping.acl_users_field or 'none'}, groups {mapping.acl_groups_field or 'none'}"),
        _line("metadata", ", ".join(mapping.metadata_fields) or "none"),
    ]
    rec, guard = plan.reconciliation, plan.reconciliation.delete_guard
    lines += [
        _line("deletes", f"{rec.delete_policy}: {_POLICY[rec.delete_policy]}"),
        _more(
            f"guard: at most {guard.max_delete_percent:g} % and {guard.max_delete_count} documents per run, "
            f"unless fewer than {guard.min_population} are known"
        ),
        _line("output", f"{plan.output.base_uri} ({plan.output.format})"),
        _line("target", _target(plan)),
        _line("secrets", ", ".join(_secret(s) for s in plan.secrets) or "none"),
    ]
    return "\n".join(lines) + "\n"
