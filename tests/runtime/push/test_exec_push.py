"""`runtime exec` on a push plan, end to end: the queue drained into upserts and deletes artifacts under each
delete policy, the delete guard, dead letters, canonical documents, and the position committed with the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from compiler.plan import Plan
from runtime.cli import main
from runtime.errors import DeleteGuardTripped
from runtime.ingest import DeliveryRequest, DeliveryResult
from runtime.push.door import Door
from runtime.push.queue import queue_path
from runtime.push.writer import QueueWriter, Submission
from runtime.report import RunReport
from runtime.run import ExecOptions, execute
from runtime.secrets import SECRETS_DIR_ENV
from tests.runtime.push.pushplans import push_plan, upsert, write_plan


class PushRun:
    def __init__(self, root: Path, plan: Plan) -> None:
        self.root, self.plan = root, plan
        self.state_dir = root / "state"
        self.writer = QueueWriter(queue_path(self.state_dir, plan.name), plan.name)
        self.keys = 0

    def push(self, *events: object) -> None:
        door = Door(self.plan, 1 << 20)
        self.keys += 1
        key = f"k{self.keys}"
        self.writer.submit(Submission(key, key, [door.check(e) for e in events], 202, b"{}")).result()

    def run(self, plan: Plan | None = None, **options: Any) -> RunReport:
        return execute(
            plan or self.plan,
            ExecOptions(state_dir=self.state_dir, **options),
            resolve_secret=lambda secret: "push-token",
        )

    @property
    def out(self) -> Path:
        return Path(self.plan.output.base_uri.removeprefix("file://"))

    def lines(self, report: RunReport, name: str) -> list[dict[str, Any]]:
        path = self.out / "runs" / report.run_id / name
        return [json.loads(line) for line in path.read_text().splitlines()]

    def upserts(self, report: RunReport) -> dict[str, dict[str, Any]]:
        return {doc["id"]: doc for doc in self.lines(report, "upserts.ndjson")}

    def deletes(self, report: RunReport) -> set[str]:
        return {doc["id"] for doc in self.lines(report, "deletes.ndjson")}

    def state(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.state_dir / f"{self.plan.name}.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture
def make(tmp_path: Path) -> Any:
    runs: list[PushRun] = []

    def build(policy: str = "auto_delete_missing", **mapping: Any) -> PushRun:
        plan = push_plan(policy=policy, bucket=(tmp_path / "out").as_uri(), **mapping)
        run = PushRun(tmp_path, plan)
        runs.append(run)
        return run

    yield build
    for run in runs:
        run.writer.close()


def test_a_drain_writes_upserts_applies_deletes_and_commits_its_position(make: Any) -> None:
    r = make()
    r.push(upsert("T-1", "first", readers=["a@x.com"], priority=2), upsert("T-2"), upsert("T-3"))
    first = r.run()
    docs = r.upserts(first)
    assert set(docs) == {"T-1", "T-2", "T-3"}
    assert docs["T-1"]["structData"] == {"title": "first", "priority": 2}
    assert docs["T-1"]["aclInfo"]["readers"][0]["principals"] == [{"userId": "a@x.com"}]
    assert r.writer.depth() == 0  # drained events leave the queue once the run committed
    r.push(upsert("T-1", "second"), {"op": "DELETE", "id": "T-2"}, {"op": "DELETE", "id": "NOT-MINE"})
    second = r.run()
    assert set(r.upserts(second)) == {"T-1"}
    assert r.deletes(second) == {"T-2"}  # the unknown id is counted, never sent
    assert second.changes is not None
    assert (second.changes.deleted, second.changes.unknown_deletes) == (1, 1)
    assert r.state("SELECT position FROM source_push") == [(6,)]
    assert sorted(row[0] for row in r.state("SELECT id FROM documents")) == ["T-1", "T-3"]
    third = r.run()  # nothing new: nothing sent
    assert r.upserts(third) == {}
    assert r.deletes(third) == set()


def test_soft_delete_only_turns_delete_events_into_marks(make: Any) -> None:
    r = make("soft_delete_only")
    r.push(upsert("T-1"), upsert("T-2"))
    r.run()
    r.push({"op": "DELETE", "id": "T-1"})
    report = r.run()
    marked = r.upserts(report)["T-1"]
    assert marked["structData"]["sync_deleted"] is True
    assert r.deletes(report) == set()
    assert dict(r.state("SELECT id, deleted FROM documents")) == {"T-1": True, "T-2": False}
    r.push(upsert("T-1", "back"))
    revived = r.upserts(r.run())["T-1"]
    assert revived["structData"]["sync_deleted"] is False


def test_never_delete_keeps_documents_and_refuses_deletes_at_the_door(make: Any) -> None:
    r = make("never_delete")
    r.push(upsert("T-1"))
    r.run()
    from runtime.push.door import Rejected

    with pytest.raises(Rejected, match="never_delete"):
        r.push({"op": "DELETE", "id": "T-1"})
    assert r.state("SELECT id FROM documents") == [("T-1",)]


def test_the_delete_guard_stops_a_mass_delete_and_the_events_wait_for_an_override(make: Any) -> None:
    r = make()
    r.push(*[upsert(f"T-{i}") for i in range(150)])
    r.run()
    r.push(*[{"op": "DELETE", "id": f"T-{i}"} for i in range(60)])  # 40 % of 150, over the 20 % guard
    with pytest.raises(DeleteGuardTripped):
        r.run()
    assert r.state("SELECT position FROM source_push") == [(150,)]  # nothing drained
    assert r.writer.depth() == 60
    report = r.run(allow_mass_delete=True)
    assert len(r.deletes(report)) == 60
    assert r.writer.depth() == 0


def test_an_event_that_no_longer_maps_is_dead_lettered_and_named_in_the_report(make: Any) -> None:
    r = make()
    r.push(upsert("T-1", project={"key": "P"}), upsert("T-2"))
    changed = push_plan(
        bucket=r.plan.output.base_uri.rsplit("/", 1)[0], uriTemplate="https://x/{{ project.key | lower }}"
    )
    report = r.run(plan=changed)
    assert set(r.upserts(report)) == {"T-1"}
    assert any("push event 2 (id 'T-2') moved to the dead letters" in note for note in report.notes)
    rows = r.state("SELECT seq, raw_id FROM source_push_dead_letters")
    assert rows == [(2, "T-2")]
    assert r.writer.depth() == 0  # the queue moved on


def test_canonical_documents_of_the_earlier_tool_become_documents_as_they_are(make: Any) -> None:
    r = make()
    r.push(
        {
            "op": "UPSERT",
            "doc_id": "kb-1",
            "title": "Reset a password",
            "content": "Open settings.",
            "uri": "https://kb.example/1",
            "acl_groups": ["staff@x.com"],
            "metadata": {"team": "it"},
            "updated_at": "2024-05-01T12:00:00Z",
        },
        upsert("T-1"),
    )
    report = r.run()
    docs = r.upserts(report)
    assert set(docs) == {"kb-1", "T-1"}
    kb = docs["kb-1"]
    assert kb["structData"] == {"team": "it", "title": "Reset a password", "uri": "https://kb.example/1"}
    assert kb["aclInfo"]["readers"][0]["principals"] == [{"groupId": "staff@x.com"}]
    r.push({"op": "DELETE", "doc_id": "kb-1"})
    assert r.deletes(r.run()) == {"kb-1"}


def test_a_failed_run_drains_nothing(make: Any, tmp_path: Path) -> None:
    r = make()
    r.push(upsert("T-1"))

    def broken(request: DeliveryRequest) -> DeliveryResult:
        raise DeleteGuardTripped("stand-in for any failure before the commit")

    with pytest.raises(DeleteGuardTripped):
        execute(r.plan, ExecOptions(state_dir=r.state_dir), deliver=broken)
    assert r.writer.depth() == 1
    assert set(r.upserts(r.run())) == {"T-1"}


def test_the_drain_does_not_resolve_the_pushers_token(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token authenticates pushers to `runtime serve`; the drain authenticates no one, so `runtime exec`
    runs without it (a CronJob that drains need not be given the receiver's secret)."""
    r = make()
    r.push(upsert("T-1"))
    token = r.plan.source.secret
    assert token in r.plan.secrets
    asked: list[object] = []

    def resolve(secret: object) -> str:
        asked.append(secret)
        raise AssertionError(f"the drain resolved {secret}")

    report = execute(r.plan, ExecOptions(state_dir=r.state_dir), resolve_secret=resolve)
    assert asked == []
    assert set(r.upserts(report)) == {"T-1"}
    monkeypatch.delenv(token.env, raising=False)
    monkeypatch.delenv(SECRETS_DIR_ENV, raising=False)
    r.push(upsert("T-2"))
    plan_file = write_plan(r.root, r.plan)
    code = main(["exec", str(plan_file), "--state-dir", str(r.state_dir), "--json"])
    assert code == 0
    assert r.writer.depth() == 0


def _refusing(*refused: tuple[str, str]) -> Any:
    """A delivery that refuses the (document id, operation) pairs given and accepts everything else."""
    from runtime.ingest import FailedDocument

    def deliver(request: DeliveryRequest) -> DeliveryResult:
        failed = tuple(FailedDocument(doc_id, operation, "refused by the test") for doc_id, operation in refused)
        return DeliveryResult(upserted=request.upserts_count, deleted=request.deletes_count, failed=failed)

    return deliver


def test_a_pushed_upsert_or_delete_that_delivery_refused_is_sent_again_by_the_next_run(make: Any) -> None:
    r = make()
    r.push(upsert("T-1"), upsert("T-2"), upsert("T-3"))
    first = execute(r.plan, ExecOptions(state_dir=r.state_dir), deliver=_refusing(("T-2", "upsert")))
    assert set(r.upserts(first)) == {"T-1", "T-2", "T-3"}
    assert r.writer.depth() == 0  # the queue is trimmed: the refused event lives on in the state
    assert sorted(row[0] for row in r.state("SELECT id FROM documents")) == ["T-1", "T-3"]
    r.push({"op": "DELETE", "id": "T-3"})
    second = execute(r.plan, ExecOptions(state_dir=r.state_dir), deliver=_refusing(("T-3", "delete")))
    assert set(r.upserts(second)) == {"T-2"}  # the refused upsert, again, with no new event for it
    assert r.deletes(second) == {"T-3"}
    third = r.run()  # accepts everything
    assert set(r.upserts(third)) == set()
    assert r.deletes(third) == {"T-3"}  # the refused delete, again
    assert sorted(row[0] for row in r.state("SELECT id FROM documents")) == ["T-1", "T-2"]
    fourth = r.run()  # nothing left to send again
    assert r.upserts(fourth) == {}
    assert r.deletes(fourth) == set()


def test_a_newer_event_replaces_a_refused_one_waiting_to_be_sent_again(make: Any) -> None:
    r = make()
    r.push(upsert("T-1", "old"))
    execute(r.plan, ExecOptions(state_dir=r.state_dir), deliver=_refusing(("T-1", "upsert")))
    r.push(upsert("T-1", "new"))
    report = r.run()
    assert r.upserts(report)["T-1"]["structData"]["title"] == "new"
    r.push({"op": "DELETE", "id": "T-1"})
    execute(r.plan, ExecOptions(state_dir=r.state_dir), deliver=_refusing(("T-1", "delete")))
    r.push(upsert("T-1", "back"))
    revived = r.run()
    assert r.upserts(revived)["T-1"]["structData"]["title"] == "back"
    assert r.deletes(revived) == set()
