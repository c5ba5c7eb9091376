"""The plan codec: canonical bytes, round trip, and refusal of tampered, foreign or malformed plans."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from plan_fixtures import connector, lowered

from compiler.plan import FORMAT_VERSION, Plan, PlanFormatError, compute_hash, dumps, loads, stale_inputs, stale_reason
from compiler.plan.model import InputFile

GOLDEN = Path(__file__).parents[2] / "golden" / "plans"


def _plans() -> list[Plan]:
    return [lowered(connector(mode)) for mode in ("sql_pull", "rest_pull", "rest_push")]


@pytest.mark.parametrize("plan", _plans(), ids=["sql", "rest", "push"])
def test_round_trip_gives_identical_bytes(plan: Plan) -> None:
    raw = dumps(plan)
    again = loads(raw)
    assert again == plan
    assert dumps(again) == raw


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.plan.json")), ids=lambda p: p.name)
def test_golden_round_trip(path: Path) -> None:
    raw = path.read_bytes()
    assert dumps(loads(raw)) == raw


def test_canonical_form_sorted_unescaped_newline_terminated() -> None:
    data = connector("sql_pull")
    data["spec"]["mapping"]["contentTemplate"] = "Größe: {{ title }}"
    raw = dumps(lowered(data))
    assert raw.endswith(b"}\n")
    assert "Größe".encode() in raw
    parsed = json.loads(raw)
    assert list(parsed) == sorted(parsed)
    assert raw.decode() == json.dumps(parsed, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


def test_hash_covers_every_field() -> None:
    plan = lowered(connector("sql_pull"))
    changed = dataclasses.replace(plan, name="other")
    assert compute_hash(changed) != plan.plan_hash
    assert compute_hash(plan) == plan.plan_hash


def test_tampered_plan_is_refused() -> None:
    raw = dumps(lowered(connector("sql_pull")))
    tampered = raw.replace(b'"never_delete"', b'"auto_delete_missing"')
    assert tampered != raw
    with pytest.raises(PlanFormatError, match="hash does not match"):
        loads(tampered)


def test_tampered_hash_is_refused() -> None:
    plan = lowered(connector("sql_pull"))
    raw = dumps(dataclasses.replace(plan, plan_hash="sha256:" + "0" * 64))
    with pytest.raises(PlanFormatError, match="hash does not match"):
        loads(raw)


def test_other_format_version_is_refused() -> None:
    data = json.loads(dumps(lowered(connector("sql_pull"))))
    data["formatVersion"] = FORMAT_VERSION + 1
    with pytest.raises(PlanFormatError, match=f"unsupported plan formatVersion {FORMAT_VERSION + 1}"):
        loads(json.dumps(data).encode())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not a JSON plan"),
        (b"[1]", "top level is not an object"),
        (b'{"formatVersion": 1}', "missing keys"),
    ],
)
def test_malformed_plans_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(PlanFormatError, match=message):
        loads(raw)


def test_unknown_key_is_refused() -> None:
    data = json.loads(dumps(lowered(connector("sql_pull"))))
    data["extra"] = 1
    with pytest.raises(PlanFormatError, match="unknown keys"):
        loads(json.dumps(data).encode())


def test_stale_inputs(tmp_path: Path) -> None:
    source = tmp_path / "connectors" / "example.yaml"
    source.parent.mkdir()
    source.write_bytes(b"kind: Connector\n")
    import hashlib

    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    plan = dataclasses.replace(lowered(connector("sql_pull")), inputs=(InputFile("connectors/example.yaml", digest),))
    assert stale_inputs(plan, tmp_path) == ()
    assert stale_reason(plan, tmp_path) is None
    source.write_bytes(b"kind: Connector\n# edited\n")
    assert stale_inputs(plan, tmp_path) == ("connectors/example.yaml",)
    assert stale_reason(plan, tmp_path) == (
        "plan is stale: connectors/example.yaml changed since it was compiled; run compiler build"
    )
    source.unlink()
    assert stale_reason(plan, tmp_path) == ("plan is stale: connectors/example.yaml is gone; run compiler build")
