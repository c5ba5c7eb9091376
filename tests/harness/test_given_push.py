"""rest_push cases: pushes through the real receiver app into the case's queue, drained by the runtime's open_pull."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import ConfigError
from runtime.harness.case import Case, load_case
from runtime.harness.given import HarnessRun, prepare
from runtime.harness.runner import CaseResult, run_case
from runtime.push.queue import queue_path
from tests.runtime.push.pushplans import push_plan, upsert


def case(tmp_path: Path, runs: list[dict[str, Any]], secrets: dict[str, str] | None = None) -> Case:
    path = tmp_path / "case.yaml"
    path.write_text(json.dumps({"connector": "tickets", "secrets": secrets or {}, "runs": runs}))
    return load_case(path)


def messages(result: CaseResult) -> str:
    return " | ".join([result.error or "", *(str(d) for r in result.runs for d in r.differences)])


def test_pushed_events_are_queued_then_drained_create_update_delete(tmp_path: Path) -> None:
    plan = push_plan(policy="auto_delete_missing")
    runs = [
        {
            "given": {"pushes": [{"events": [upsert(1, "One"), upsert(2, "Two")]}, {"events": [upsert(3, "Three")]}]},
            "expect": {"fields": "subset", "upserted": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "deleted": []},
        },
        {
            "given": {"pushes": [{"events": [upsert(1, "One again"), {"op": "DELETE", "id": "2"}]}]},
            "expect": {"fields": "subset", "upserted": [{"id": "1", "title": "One again"}], "deleted": ["2"]},
        },
    ]
    result = run_case(case(tmp_path, runs), plan, tmp_path)
    assert result.passed, messages(result)


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    plan = push_plan()
    runs = [{"given": {"pushes": [{"events": [upsert(1, "One")]}]}, "expect": {"upserted": []}}]
    result = run_case(case(tmp_path, runs), plan, tmp_path)
    assert not result.passed
    assert "document 1" in messages(result)


def test_a_push_answered_otherwise_fails_the_case_with_its_index_and_the_answer(tmp_path: Path) -> None:
    plan = push_plan(policy="never_delete")
    pushes = [{"events": [upsert(1)]}, {"events": [{"op": "DELETE", "id": "1"}]}]
    result = run_case(case(tmp_path, [{"given": {"pushes": pushes}, "expect": {"upserted": []}}]), plan, tmp_path)
    assert result.error is not None
    assert "run 1: push 2 was answered 422, the case expects 202 with every event accepted" in result.error
    assert "DELETE is refused" in result.error  # the receiver's answer


def test_a_partly_rejected_batch_fails_unless_its_status_is_expected(tmp_path: Path) -> None:
    plan = push_plan()
    pushes: list[dict[str, Any]] = [{"events": [upsert(1), {"op": "NOPE"}]}]
    result = run_case(case(tmp_path, [{"given": {"pushes": pushes}, "expect": {"upserted": []}}]), plan, tmp_path)
    assert result.error is not None
    assert "with 1 rejected event(s)" in result.error
    pushes[0]["expectStatus"] = 202
    runs = [{"given": {"pushes": pushes}, "expect": {"fields": "subset", "upserted": [{"id": "1"}]}}]
    result = run_case(case(tmp_path, runs), plan, tmp_path)
    assert result.passed, messages(result)


def test_expect_status_checks_a_refused_body(tmp_path: Path) -> None:
    plan = push_plan()
    pushes = [{"body": "not json", "expectStatus": 400}, {"body": {"events": "no"}, "expectStatus": 400}]
    runs = [{"given": {"pushes": pushes}, "expect": {"upserted": [], "deleted": []}}]
    assert run_case(case(tmp_path, runs), plan, tmp_path).passed
    pushes[0]["expectStatus"] = 202
    result = run_case(case(tmp_path, runs), plan, tmp_path)
    assert result.error is not None
    assert "push 1 was answered 400, the case expects 202" in result.error


def test_the_token_is_the_case_stub_of_the_secret(tmp_path: Path) -> None:
    plan = push_plan()
    runs = [{"given": {"pushes": [{"events": [upsert(1)]}]}, "expect": {"fields": "subset", "upserted": [{"id": "1"}]}}]
    result = run_case(case(tmp_path, runs, secrets={"tickets-token": "given-token"}), plan, tmp_path)
    assert result.passed, messages(result)


def test_the_events_land_in_the_queue_of_the_case_state_folder(tmp_path: Path) -> None:
    plan = push_plan()
    given = case(tmp_path, [{"given": {"pushes": [{"events": [upsert(7)]}]}, "expect": {"upserted": []}}])
    harness = HarnessRun(workdir=tmp_path, state_dir=tmp_path / "state", bucket=tmp_path / "b", root=tmp_path)
    prepare(plan, given, given.runs[0], harness)
    con = sqlite3.connect(queue_path(tmp_path / "state", "tickets"))
    assert con.execute("SELECT op, raw_id FROM events").fetchall() == [("UPSERT", "7")]
    con.close()


def test_fail_drains_nothing_and_the_next_run_gets_the_events(tmp_path: Path) -> None:
    plan = push_plan()
    runs = [
        {"given": {"pushes": [{"events": [upsert(1, "One")]}], "fail": "killed"}, "expect": {"failure": "killed"}},
        {"given": {"pushes": []}, "expect": {"fields": "subset", "upserted": [{"id": "1", "title": "One"}]}},
    ]
    result = run_case(case(tmp_path, runs), plan, tmp_path)
    assert result.passed, messages(result)


@pytest.mark.parametrize(
    ("push", "words"),
    [
        ({"events": [], "body": "x"}, "not both"),
        ({"event": []}, "unknown key 'event'"),
        ({"events": {}}, "a list of events"),
        ({"events": [], "expectStatus": "ok"}, "an HTTP status"),
    ],
)
def test_bad_pushes_are_case_errors(tmp_path: Path, push: dict[str, Any], words: str) -> None:
    given = case(tmp_path, [{"given": {"pushes": [push]}, "expect": {"upserted": []}}])
    harness = HarnessRun(workdir=tmp_path, state_dir=tmp_path / "state", bucket=tmp_path / "b", root=tmp_path)
    with pytest.raises(ConfigError, match=r"given\.pushes\[1\]") as caught:
        prepare(push_plan(), given, given.runs[0], harness)
    assert words in str(caught.value)


def test_a_delete_under_soft_delete_only_is_a_soft_delete(tmp_path: Path) -> None:
    plan = push_plan(policy="soft_delete_only")
    runs = [
        {"given": {"pushes": [{"events": [upsert(1), upsert(2)]}]}, "expect": {"softDeleted": []}},
        {
            "given": {"pushes": [{"events": [{"op": "DELETE", "id": "2"}]}]},
            "expect": {"upserted": [], "deleted": [], "softDeleted": ["2"]},
        },
    ]
    result = run_case(case(tmp_path, runs), plan, tmp_path)
    assert result.passed, messages(result)
