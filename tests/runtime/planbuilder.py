"""Build sealed `compiler.plan.Plan` objects directly, so runtime tests do not depend on the compiler's lowering."""

from __future__ import annotations

import re
from typing import Literal

from compiler.plan import (
    DeleteGuard,
    DocumentIdRule,
    Extraction,
    InputFile,
    Mapping,
    Output,
    Plan,
    Reconciliation,
    Secret,
    SqlSource,
    Target,
    Template,
    seal,
)
from compiler.plan.model import DeletePolicy, ExtractionKind, SqlProvider

_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def fields(source: str) -> Template:
    """A `fields` template (text and `{{ name }}` only), parsed the way the compiler does."""
    parts: list[tuple[Literal["text", "field"], str]] = []
    pos = 0
    for match in _FIELD.finditer(source):
        if match.start() > pos:
            parts.append(("text", source[pos : match.start()]))
        parts.append(("field", match.group(1)))
        pos = match.end()
    if pos < len(source):
        parts.append(("text", source[pos:]))
    names = tuple(sorted({name for kind, name in parts if kind == "field"}))
    return Template(source=source, kind="fields", parts=tuple(parts), variables=names)


def jinja(source: str, variables: tuple[str, ...]) -> Template:
    return Template(source=source, kind="jinja", parts=(), variables=tuple(sorted(variables)))


ID_RULE = DocumentIdRule("id", 128, "^[A-Za-z0-9_-]+$", 80, "sha256", 40)
DEFAULT_GUARD = DeleteGuard(max_delete_percent=20.0, max_delete_count=10_000, min_population=100)


def make_plan(
    base_uri: str,
    *,
    name: str = "docs",
    provider: SqlProvider = "duckdb",
    driver: str = "",
    secret_env: str = "SECRET_DOCS_DB",
    policy: DeletePolicy = "auto_delete_missing",
    kind: ExtractionKind = "snapshot",
    snapshot: str = "SELECT id, title, body, department, users, groups_csv, updated_at FROM docs",
    incremental: str | None = None,
    watermark_field: str | None = None,
    watermark_initial: str | int | None = None,
    id_field: str = "id",
    title_field: str | None = "title",
    content: Template | None = None,
    uri: Template | None = None,
    acl_users: str | None = None,
    acl_groups: str | None = None,
    metadata: tuple[str, ...] = ("department",),
    guard: DeleteGuard = DEFAULT_GUARD,
    inputs: tuple[InputFile, ...] = (),
) -> Plan:
    secret = Secret(name="docs-db", env=secret_env)
    plan = Plan(
        format_version=1,
        compiler_version="test",
        name=name,
        mode="sql_pull",
        schedule="0 * * * *",
        inputs=inputs,
        source=SqlSource(
            kind="sql",
            provider=provider,
            driver=driver,
            dialect=provider,
            secret=secret,
            snapshot_statement=snapshot,
            incremental_statement=incremental,
            columns=None,
            batch_size=1000,
        ),
        extraction=Extraction(
            kind=kind, reason="test", watermark_field=watermark_field, watermark_initial=watermark_initial
        ),
        mapping=Mapping(
            id=DocumentIdRule(id_field, 128, "^[A-Za-z0-9_-]+$", 80, "sha256", 40),
            title_field=title_field,
            content=content if content is not None else fields("{{ department }}: {{ body }}"),
            uri=uri if uri is not None else fields("https://example.com/docs/{{ id }}"),
            mime_type="text/plain",
            acl_users_field=acl_users,
            acl_groups_field=acl_groups,
            metadata_fields=metadata,
        ),
        reconciliation=Reconciliation(
            delete_policy=policy,
            delete_guard=guard,
            soft_delete_flag_field="sync_deleted",
            soft_delete_time_field="sync_deleted_at",
        ),
        output=Output(bucket="file://x", prefix=name, format="ndjson", base_uri=base_uri),
        target=Target(
            project_id="p",
            location="global",
            data_store_id="ds",
            endpoint="discoveryengine.googleapis.com",
            data_store="projects/p/locations/global/collections/default_collection/dataStores/ds",
            branch="projects/p/locations/global/collections/default_collection/dataStores/ds/branches/default_branch",
        ),
        plan_hash="",
        secrets=(secret,),
    )
    return seal(plan)
