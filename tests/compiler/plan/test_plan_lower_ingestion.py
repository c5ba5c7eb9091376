"""The earlier tool's output fields: `spec.ingestion.enabled`, `spec.output.publishLatestAlias`, `format: csv`."""

from __future__ import annotations

import json
from pathlib import Path

from plan_fixtures import connector, lowered

from compiler.check.schema import connector_schema
from compiler.plan import dumps, loads


def test_defaults_ingest_and_publish_no_alias() -> None:
    plan = lowered(connector("sql_pull"))
    assert plan.ingestion_enabled is True
    assert plan.output.publish_latest_alias is False
    assert plan.target is not None


def test_ingestion_disabled_without_gemini_has_no_target_and_round_trips() -> None:
    data = connector("sql_pull")
    del data["spec"]["gemini"]
    data["spec"]["ingestion"] = {"enabled": False}
    data["spec"]["output"] = {"bucket": "gs://exports", "format": "csv", "publishLatestAlias": True}
    plan = lowered(data)
    assert (plan.ingestion_enabled, plan.target) == (False, None)
    assert (plan.output.format, plan.output.publish_latest_alias) == ("csv", True)
    raw = dumps(plan)
    assert json.loads(raw)["target"] is None
    assert loads(raw) == plan


def test_ingestion_disabled_keeps_a_named_data_store() -> None:
    data = connector("rest_pull")
    data["spec"]["ingestion"] = {"enabled": False}
    plan = lowered(data)
    assert plan.ingestion_enabled is False
    assert plan.target is not None


def test_the_schema_requires_gemini_unless_ingestion_is_disabled(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(connector_schema())
    data = connector("sql_pull")
    del data["spec"]["gemini"]
    assert [e.message for e in validator.iter_errors(data)] == ["'gemini' is a required property"]
    data["spec"]["ingestion"] = {"enabled": True}
    assert [e.message for e in validator.iter_errors(data)] == ["'gemini' is a required property"]
    data["spec"]["ingestion"] = {"enabled": False}
    assert list(validator.iter_errors(data)) == []


def test_turning_ingestion_off_is_flagged_for_review() -> None:
    from compiler.emit.plan_diff import diff_plans

    before = lowered(connector("sql_pull"))
    data = connector("sql_pull")
    del data["spec"]["gemini"]
    data["spec"]["ingestion"] = {"enabled": False}
    lines = diff_plans(before, lowered(data))
    assert "! ~ /ingestionEnabled: true -> false" in lines
    assert "! + /target: null" in lines
    assert '! - /target/dataStoreId: "example-ds"' in lines
