"""Sealed rest_pull plans for the runtime tests (built directly, so they do not depend on the compiler's lowering),
and a helper that runs a pull through the seam alone."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb

from compiler.plan import (
    Extraction,
    HttpSource,
    NoPagination,
    OAuth,
    Plan,
    Retry,
    Secret,
    seal,
)
from compiler.plan.model import DeletePolicy, ExtractionKind
from runtime.sources.base import RECORD_COLUMN, PullContext, PullOutcome
from runtime.sources.http import HttpPull
from runtime.state.watermark import Watermark
from tests.runtime.planbuilder import fields, make_plan

TOKEN = "tok-canary-7f3a9"
"""The bearer token of every test plan: asserted absent from messages and foreign hosts."""
SECRET = Secret(name="api-token", env="SECRET_API_TOKEN")
FAST_RETRY = Retry(
    attempts=4,
    initial_backoff_seconds=0.01,
    max_backoff_seconds=0.05,
    statuses=(429, 500, 502, 503, 504),
    honour_retry_after=True,
)


def http_source(url: str, **changes: Any) -> HttpSource:
    source = HttpSource(
        kind="http",
        method="GET",
        url=url,
        headers=(("X-Client", "tests"),),
        body_json=None,
        auth="bearer",
        secret=SECRET,
        oauth=None,
        records_path=None,
        watermark_param=None,
        watermark_body_field=None,
        pagination=NoPagination(strategy="none"),
        page_cap=1000,
        retry=FAST_RETRY,
        connect_timeout_seconds=2.0,
        read_timeout_seconds=5.0,
        run_timeout_seconds=60.0,
    )
    return dataclasses.replace(source, **changes)


def http_plan(
    base_uri: str,
    source: HttpSource,
    *,
    kind: ExtractionKind = "snapshot",
    policy: DeletePolicy = "auto_delete_missing",
    watermark_field: str | None = None,
    oauth_secret: Secret | None = None,
    name: str = "articles",
) -> Plan:
    plan = make_plan(
        base_uri,
        name=name,
        policy=policy,
        content=fields("{{ title }}: {{ body }}"),
        uri=fields("https://kb.example.com/articles/{{ id }}"),
        acl_groups="groups",
        metadata=("author.name", "views", "published"),
    )
    secrets = tuple(sorted({SECRET, *([oauth_secret] if oauth_secret else [])}, key=lambda s: s.name))
    return seal(
        dataclasses.replace(
            plan,
            mode="rest_pull",
            source=source,
            extraction=Extraction(kind=kind, reason="test", watermark_field=watermark_field, watermark_initial=None),
            secrets=secrets,
        )
    )


def oauth_settings(token_url: str, method: Literal["client_secret_post", "client_secret_basic"]) -> OAuth:
    return OAuth(
        token_url=token_url,
        client_id="sync client",
        client_secret=Secret(name="oauth-client", env="SECRET_OAUTH_CLIENT"),
        scopes=("kb.read", "kb.list"),
        audience="https://kb.example.com",
        client_auth_method=method,
    )


@dataclass
class PullResult:
    records: list[dict[str, Any]]
    batches: int
    outcome: PullOutcome
    notes: list[str] = field(default_factory=list)


def pull(
    plan: Plan,
    *,
    secrets: Mapping[str, str] | None = None,
    checkpoint: Watermark | None = None,
    sleeps: list[float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PullResult:
    """Run the plan's pull through the seam alone (no engine): every record, parsed back from its JSON text."""
    assert isinstance(plan.source, HttpSource)
    context = PullContext(
        plan=plan,
        secrets=secrets if secrets is not None else {SECRET.name: TOKEN},
        checkpoint=checkpoint,
        state=duckdb.connect(),
        has_state=False,
        dry_run=False,
        progress=progress,
    )
    recorder = sleeps.append if sleeps is not None else (lambda seconds: None)
    source_pull = HttpPull(context, plan.source, sleep=recorder)
    try:
        records: list[dict[str, Any]] = []
        count = 0
        for batch in source_pull.batches():
            count += 1
            assert batch.schema.names == [RECORD_COLUMN]
            records.extend(json.loads(text) for text in batch.column(0).to_pylist())  # exact big integers
        outcome = source_pull.outcome()
    finally:
        source_pull.close()
    return PullResult(records=records, batches=count, outcome=outcome, notes=context.notes)
