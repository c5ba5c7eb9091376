"""Every lowering rule outside SQL statements: one test (or a few) per rule, on plain connector dicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from plan_fixtures import INPUT, connector, lowered

from compiler.analysis.secrets import secret_env_name as env_name
from compiler.lower import PASSES, Draft, LoweringError
from compiler.lower.extraction import lower_extraction
from compiler.lower.mapping import lower_mapping
from compiler.lower.output import lower_output
from compiler.lower.pipeline import finish, run_passes
from compiler.lower.reconciliation import lower_reconciliation
from compiler.lower.secrets import lower_secrets
from compiler.lower.target import lower_target
from compiler.plan import CursorPagination, HttpSource, NoPagination, PushSource, Secret, SqlSource, dumps

# --- the pipeline ------------------------------------------------------------------------------------------


def test_passes_are_the_six_modules_in_order() -> None:
    assert (
        lower_secrets,
        lower_extraction,
        lower_mapping,
        lower_reconciliation,
        lower_output,
        lower_target,
    ) == PASSES


def test_passes_are_pure_the_connector_is_not_mutated() -> None:
    data = connector("rest_pull")
    data["spec"]["source"]["headers"] = {"b": "2", "a": "1"}
    before = copy.deepcopy(data)
    lowered(data)
    assert data == before


def test_each_pass_sets_only_its_own_part() -> None:
    draft = Draft(connector=connector("sql_pull"), inputs=(INPUT,))
    after_secrets = lower_secrets(draft)
    assert after_secrets.secrets
    assert after_secrets.source is None
    after_output = lower_output(after_secrets)
    assert after_output.output is not None
    assert (after_output.source, after_output.mapping, after_output.target) == (None, None, None)


def test_finish_refuses_an_incomplete_draft() -> None:
    draft = run_passes(Draft(connector=connector("sql_pull"), inputs=(INPUT,)), PASSES[:-1])
    with pytest.raises(LoweringError, match="target"):
        finish(draft)


def test_extraction_before_secrets_is_a_pass_order_bug() -> None:
    with pytest.raises(LookupError, match="secrets pass"):
        lower_extraction(Draft(connector=connector("sql_pull"), inputs=(INPUT,)))


def test_plan_is_sealed_and_carries_version_and_inputs() -> None:
    plan = lowered(connector("sql_pull"))
    assert plan.plan_hash.startswith("sha256:")
    assert len(plan.plan_hash) == len("sha256:") + 64
    assert plan.format_version == 1
    assert plan.inputs == (INPUT,)
    assert plan.compiler_version


def test_schedule_is_null_for_push() -> None:
    assert lowered(connector("rest_push")).schedule is None
    assert lowered(connector("sql_pull")).schedule == "0 * * * *"


# --- secrets -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "env"),
    [("hr-db-credentials", "SECRET_HR_DB_CREDENTIALS"), ("kb.api.token", "SECRET_KB_API_TOKEN"), ("X1", "SECRET_X1")],
)
def test_secret_env_name(ref: str, env: str) -> None:
    assert env_name(ref) == env


def test_secrets_sorted_with_the_oauth_client_secret() -> None:
    data = connector("rest_pull")
    data["spec"]["source"]["secretRef"] = "zz-token"
    data["spec"]["source"]["oauth"] = {
        "tokenUrl": "https://auth.example.com/token",
        "clientId": "sync",
        "clientSecretRef": "aa-client",
    }
    plan = lowered(data)
    assert plan.secrets == (Secret("aa-client", "SECRET_AA_CLIENT"), Secret("zz-token", "SECRET_ZZ_TOKEN"))


def test_secret_values_never_reach_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_DB_URL", "postgresql://canary:hunter2-canary@db/x")
    raw = dumps(lowered(connector("sql_pull")))
    assert b"hunter2-canary" not in raw
    assert b"SECRET_DB_URL" in raw


# --- extraction --------------------------------------------------------------------------------------------


def test_sql_snapshot_reason_and_batch_default() -> None:
    plan = lowered(connector("sql_pull"))
    assert isinstance(plan.source, SqlSource)
    assert (plan.extraction.kind, plan.extraction.reason) == (
        "snapshot",
        "the query has no :watermark filter, so each run reads every row",
    )
    assert plan.source.batch_size == 50_000
    assert plan.source.secret == Secret("db-url", "SECRET_DB_URL")


def test_sql_incremental_reason_watermark_and_batch_override() -> None:
    data = connector("sql_pull")
    data["spec"]["source"].update(
        query="SELECT id, title, ts FROM docs WHERE ts >= :watermark",
        watermarkField="ts",
        watermarkInitial="2020-01-01T00:00:00Z",
        batchSize=1000,
    )
    plan = lowered(data)
    assert isinstance(plan.source, SqlSource)
    assert (plan.extraction.kind, plan.extraction.reason) == (
        "incremental",
        "the query binds :watermark, so each run reads only changed rows",
    )
    assert (plan.extraction.watermark_field, plan.extraction.watermark_initial) == ("ts", "2020-01-01T00:00:00Z")
    assert plan.source.batch_size == 1000


def test_integer_watermark_initial_stays_an_integer() -> None:
    data = connector("sql_pull")
    data["spec"]["source"].update(query="SELECT id, title FROM docs WHERE id > :watermark", watermarkInitial=0)
    assert lowered(data).extraction.watermark_initial == 0


def test_rest_pull_defaults() -> None:
    plan = lowered(connector("rest_pull"))
    source = plan.source
    assert isinstance(source, HttpSource)
    assert (source.method, source.auth, source.oauth, source.body_json) == ("GET", "bearer", None, None)
    assert source.headers == ()
    assert source.pagination == NoPagination(strategy="none")
    assert source.page_cap == 10_000
    assert source.records_path is None
    assert (source.watermark_param, source.watermark_body_field) == (None, None)
    assert (source.connect_timeout_seconds, source.read_timeout_seconds) == (10.0, 30.0)
    assert source.run_timeout_seconds == 3600.0
    assert source.retry.statuses == (429, 500, 502, 503, 504)
    assert source.retry.honour_retry_after
    assert source.retry.attempts >= 2
    assert (plan.extraction.kind, plan.extraction.reason) == (
        "snapshot",
        "requests send no checkpoint, so each run reads every record",
    )


def test_rest_pull_everything_set() -> None:
    data = connector("rest_pull")
    data["spec"]["source"].update(
        method="POST",
        payload={"z": 1, "a": ["é", 2]},
        headers={"X-Trace": "1", "Accept": "application/json"},
        paginationCursorField="cursor",
        paginationNextCursorJsonPath="paging.next",
        recordsPath="data.items",
        watermarkField="updated_at",
        watermarkParam="since",
        maxPages=50,
        timeoutSeconds=5,
        runTimeoutSeconds=120,
        oauth={
            "tokenUrl": "https://auth.example.com/token",
            "clientId": "sync",
            "clientSecretRef": "client-secret",
            "scopes": ["read"],
            "audience": "api",
            "clientAuthMethod": "client_secret_basic",
        },
    )
    plan = lowered(data)
    source = plan.source
    assert isinstance(source, HttpSource)
    assert source.method == "POST"
    assert source.body_json == '{"a":["é",2],"z":1}'
    assert source.headers == (("Accept", "application/json"), ("X-Trace", "1"))
    assert source.pagination == CursorPagination(
        strategy="cursor", cursor_param="cursor", next_cursor_path="paging.next"
    )
    assert source.page_cap == 50
    assert source.records_path == "data.items"
    assert (source.connect_timeout_seconds, source.read_timeout_seconds) == (5.0, 5.0)
    assert source.run_timeout_seconds == 120.0
    assert source.auth == "oauth2_client_credentials"
    assert source.oauth is not None
    assert source.oauth.client_secret == Secret("client-secret", "SECRET_CLIENT_SECRET")
    assert (source.oauth.scopes, source.oauth.audience) == (("read",), "api")
    assert source.oauth.client_auth_method == "client_secret_basic"
    assert (plan.extraction.kind, plan.extraction.watermark_field) == ("incremental", "updated_at")
    assert plan.extraction.reason == "each request sends the checkpoint as 'since'"


@pytest.mark.parametrize("header", ["Authorization", "cookie", "X-API-Key", "Proxy-Authorization"])
def test_credential_headers_are_refused(header: str) -> None:
    data = connector("rest_pull")
    data["spec"]["source"]["headers"] = {header: "Bearer canary"}
    with pytest.raises(LoweringError, match="credentials") as caught:
        lowered(data)
    assert caught.value.pointer == f"/spec/source/headers/{header}"


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"paginationCursorField": "cursor"}, "paginationNextCursorJsonPath"),
        ({"paginationNextCursorJsonPath": "next"}, "paginationCursorField"),
    ],
)
def test_half_configured_cursor_pagination_is_refused(given: dict[str, Any], missing: str) -> None:
    data = connector("rest_pull")
    data["spec"]["source"].update(given)
    with pytest.raises(LoweringError, match=f"add {missing}"):
        lowered(data)


def test_push_source_and_extraction() -> None:
    plan = lowered(connector("rest_push"))
    assert plan.source == PushSource(kind="push", secret=Secret("push-token", "SECRET_PUSH_TOKEN"))
    assert (plan.extraction.kind, plan.extraction.reason) == (
        "incremental",
        "pushed records arrive one change at a time; absence proves nothing",
    )


def test_push_with_auto_delete_missing_lowers_to_a_plan_that_applies_delete_events() -> None:
    data = connector("rest_push")
    data["spec"]["reconciliation"]["deletePolicy"] = "auto_delete_missing"
    plan = lowered(data)
    assert (plan.extraction.kind, plan.reconciliation.delete_policy) == ("incremental", "auto_delete_missing")


# --- mapping -----------------------------------------------------------------------------------------------


def test_simple_templates_are_fields_with_parts() -> None:
    data = connector("sql_pull")
    data["spec"]["mapping"]["uriTemplate"] = "https://x.example/{{ id }}?t={{title}}"
    plan = lowered(data)
    uri = plan.mapping.uri
    assert uri is not None
    assert uri.kind == "fields"
    assert uri.parts == (("text", "https://x.example/"), ("field", "id"), ("text", "?t="), ("field", "title"))
    assert uri.variables == ("id", "title")


@pytest.mark.parametrize(
    "template",
    ["{{ title | upper }}", "{% if title %}{{ title }}{% endif %}", "{{ title ~ id }}", "{{ item.name }}"],
)
def test_other_templates_are_jinja(template: str) -> None:
    data = connector("sql_pull")
    data["spec"]["mapping"]["contentTemplate"] = template
    content = lowered(data).mapping.content
    assert content is not None
    assert (content.kind, content.parts, content.source) == ("jinja", (), template)


def test_broken_template_is_a_lowering_error() -> None:
    data = connector("sql_pull")
    data["spec"]["mapping"]["contentTemplate"] = "{{ title "
    with pytest.raises(LoweringError) as caught:
        lowered(data)
    assert caught.value.pointer == "/spec/mapping/contentTemplate"


def test_mapping_fields_and_defaults() -> None:
    data = connector("sql_pull")
    data["spec"]["mapping"].update(aclUsersField="users", aclGroupsField="groups", metadataFields=["b", "a"])
    mapping = lowered(data).mapping
    assert (mapping.title_field, mapping.mime_type, mapping.uri) == ("title", "text/plain", None)
    assert (mapping.acl_users_field, mapping.acl_groups_field) == ("users", "groups")
    assert mapping.metadata_fields == ("b", "a")  # the connector's order: it is the structData order


def test_document_id_rule() -> None:
    rule = lowered(connector("sql_pull")).mapping.id
    assert (rule.field, rule.max_length, rule.allowed_pattern) == ("id", 128, "^[A-Za-z0-9_-]+$")
    assert rule.fallback_hash == "sha256"
    assert rule.fallback_hash_chars >= 32  # at least 128 bits, never a 32-bit hash
    assert rule.fallback_prefix_length + 1 + rule.fallback_hash_chars <= rule.max_length


# --- reconciliation ----------------------------------------------------------------------------------------


def test_delete_guard_defaults() -> None:
    rec = lowered(connector("sql_pull")).reconciliation
    assert rec.delete_policy == "never_delete"
    guard = rec.delete_guard
    assert (guard.max_delete_percent, guard.max_delete_count, guard.min_population) == (20.0, 10_000, 100)
    assert (rec.soft_delete_flag_field, rec.soft_delete_time_field) == ("sync_deleted", "sync_deleted_at")


def test_delete_guard_overrides_each_limit() -> None:
    data = connector("sql_pull")
    data["spec"]["reconciliation"] = {
        "deletePolicy": "auto_delete_missing",
        "deleteGuard": {"maxDeletePercent": 5, "maxDeleteCount": 50, "minPopulation": 0},
    }
    rec = lowered(data).reconciliation
    assert rec.delete_policy == "auto_delete_missing"
    assert rec.delete_guard.max_delete_percent == 5.0
    assert isinstance(rec.delete_guard.max_delete_percent, float)
    assert (rec.delete_guard.max_delete_count, rec.delete_guard.min_population) == (50, 0)


def test_delete_guard_partial_override_keeps_other_defaults() -> None:
    data = connector("sql_pull")
    data["spec"]["reconciliation"]["deleteGuard"] = {"maxDeleteCount": 7}
    guard = lowered(data).reconciliation.delete_guard
    assert (guard.max_delete_percent, guard.max_delete_count, guard.min_population) == (20.0, 7, 100)


# --- output and target -------------------------------------------------------------------------------------


def test_output_prefix_defaults_to_name_and_base_uri_joins() -> None:
    data = connector("sql_pull", name="docs-sync")
    data["spec"]["output"] = {"bucket": "gs://bucket-x/"}
    output = lowered(data).output
    assert (output.prefix, output.base_uri, output.format) == ("docs-sync", "gs://bucket-x/docs-sync", "ndjson")


def test_output_file_bucket_with_prefix() -> None:
    data = connector("sql_pull")
    data["spec"]["output"] = {"bucket": "file://./out/artifacts", "prefix": "a/b", "format": "ndjson"}
    assert lowered(data).output.base_uri == "file://./out/artifacts/a/b"


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("global", "discoveryengine.googleapis.com"),
        ("us", "us-discoveryengine.googleapis.com"),
        ("eu", "eu-discoveryengine.googleapis.com"),
    ],
)
def test_target_endpoint_and_paths(location: str, host: str) -> None:
    data = connector("sql_pull")
    data["spec"]["gemini"]["location"] = location
    target = lowered(data).target
    store = f"projects/example-project/locations/{location}/collections/default_collection/dataStores/example-ds"
    assert target.endpoint == host
    assert target.data_store == store
    assert target.branch == store + "/branches/default_branch"
    assert (target.project_id, target.location, target.data_store_id) == ("example-project", location, "example-ds")


def test_lower_target_alone() -> None:
    draft = lower_target(Draft(connector=connector("rest_push"), inputs=(INPUT,)))
    assert draft.target is not None
    assert draft.target.endpoint == "discoveryengine.googleapis.com"


def test_same_secret_for_source_and_oauth_is_declared_once() -> None:
    data = connector("rest_pull")
    data["spec"]["source"]["oauth"] = {
        "tokenUrl": "https://auth.example.com/token",
        "clientId": "sync",
        "clientSecretRef": "api-token",
    }
    assert lowered(data).secrets == (Secret("api-token", "SECRET_API_TOKEN"),)


def test_non_finite_numbers_are_a_lowering_error_not_a_traceback() -> None:
    data = connector("sql_pull")
    data["spec"]["reconciliation"]["deleteGuard"] = {"maxDeletePercent": float("nan")}
    with pytest.raises(LoweringError, match="cannot hold the number nan"):
        lowered(data)
