"""The drain as a `Pull`: order, last event per id, a fixed high-water mark, dead letters, the position in state."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from compiler.plan import Plan
from runtime.push.door import Door
from runtime.push.drain import PushCommit, PushDrain
from runtime.push.queue import queue_path
from runtime.push.writer import QueueWriter, Submission
from runtime.sources import PullContext, open_pull
from runtime.state.refused import stage_refused
from tests.runtime.push.pushplans import push_plan, upsert


def enqueue(writer: QueueWriter, plan: Plan, events: list[object], key: str) -> None:
    door = Door(plan, 1 << 20)
    writer.submit(Submission(key, key, [door.check(e) for e in events], 202, b"{}")).result()


def context(plan: Plan, state_dir: Path, state: duckdb.DuckDBPyConnection | None = None) -> PullContext:
    con = state or duckdb.connect()
    return PullContext(
        plan=plan,
        secrets={},
        checkpoint=None,
        state=con,
        has_state=state is not None,
        dry_run=False,
        state_dir=state_dir,
    )


def drain_all(pull: PushDrain) -> list[dict[str, object]]:
    table = pa.Table.from_batches(list(pull.batches()))
    return [orjson.loads(text) for text in table.column("__record").to_pylist()]


def test_events_drain_in_order_reduced_to_the_last_event_per_id(tmp_path: Path) -> None:
    plan = push_plan()
    writer = QueueWriter(queue_path(tmp_path, plan.name), plan.name)
    enqueue(writer, plan, [upsert("A", "a1"), upsert("B", "b1"), {"op": "DELETE", "id": "A"}], "k1")
    enqueue(writer, plan, [upsert("C", "c1"), upsert("B", "b2"), {"op": "DELETE", "id": "C"}, upsert("C", "c2")], "k2")
    writer.close()
    ctx = context(plan, tmp_path)
    pull = open_pull(ctx)
    assert isinstance(pull, PushDrain)
    assert pull.record_format == "json"
    records = drain_all(pull)
    outcome = pull.outcome()
    pull.close()
    assert [(r["ticket_id"], r["subject"]) for r in records] == [("B", "b2"), ("C", "c2")]
    assert (outcome.complete, tuple(outcome.deletes)) == (False, ("A",))
    assert isinstance(outcome.commit, PushCommit)
    assert outcome.commit.position == 7
    assert "events 1..7: 2 upserts, 1 deletes, 4 superseded" in ctx.notes[-1]


def test_the_high_water_mark_is_fixed_at_open_while_the_server_appends(tmp_path: Path) -> None:
    plan = push_plan()
    writer = QueueWriter(queue_path(tmp_path, plan.name), plan.name)
    enqueue(writer, plan, [upsert("A")], "k1")
    pull = open_pull(context(plan, tmp_path))
    enqueue(writer, plan, [upsert("B")], "k2")  # arrives during the run: the next run's
    assert [r["ticket_id"] for r in drain_all(pull)] == ["A"]
    commit = pull.outcome().commit
    assert isinstance(commit, PushCommit)
    assert commit.position == 1
    pull.close()
    writer.close()


def _state(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'state.duckdb'}' AS st")
    return con


def test_the_position_in_state_is_where_the_next_drain_starts_and_committed_trims_the_queue(tmp_path: Path) -> None:
    plan = push_plan()
    writer = QueueWriter(queue_path(tmp_path, plan.name), plan.name)
    enqueue(writer, plan, [upsert("A"), upsert("B")], "k1")
    state = _state(tmp_path)
    pull = open_pull(context(plan, tmp_path, state))
    drain_all(pull)
    commit = pull.outcome().commit
    pull.close()
    assert commit is not None
    stage_refused(state, [])  # what the engine does after delivery (nothing refused),
    commit.write(state)  # then inside its state transaction
    enqueue(writer, plan, [upsert("C")], "k2")
    # A run that never reached committed(): the position alone keeps A and B from draining twice.
    again = open_pull(context(plan, tmp_path, state))
    assert [r["ticket_id"] for r in drain_all(again)] == ["C"]
    again.close()
    commit.committed()
    assert writer.depth() == 1
    writer.close()


def test_a_queue_made_anew_drains_from_its_start(tmp_path: Path) -> None:
    plan = push_plan()
    path = queue_path(tmp_path, plan.name)
    writer = QueueWriter(path, plan.name)
    enqueue(writer, plan, [upsert("A"), upsert("B")], "k1")
    writer.close()
    state = _state(tmp_path)
    pull = open_pull(context(plan, tmp_path, state))
    drain_all(pull)
    commit = pull.outcome().commit
    assert commit is not None
    stage_refused(state, [])
    commit.write(state)
    pull.close()
    for leftover in tmp_path.glob(f"{plan.name}.push.sqlite*"):
        leftover.unlink()
    writer = QueueWriter(path, plan.name)
    enqueue(writer, plan, [upsert("N")], "k1")  # seq 1 again, in a queue with another id
    writer.close()
    ctx = context(plan, tmp_path, state)
    fresh = open_pull(ctx)
    assert [r["ticket_id"] for r in drain_all(fresh)] == ["N"]
    assert any("made anew" in note for note in ctx.notes)
    fresh.close()


def test_an_event_that_no_longer_maps_goes_to_the_dead_letters_and_the_rest_drains(tmp_path: Path) -> None:
    accepted_with = push_plan()
    writer = QueueWriter(queue_path(tmp_path, accepted_with.name), accepted_with.name)
    enqueue(
        writer, accepted_with, [upsert("A", project={"key": "P"}), upsert("B"), upsert("C", project={"key": "Q"})], "k"
    )
    writer.close()
    now = push_plan(uriTemplate="https://x.example/{{ project.key | lower }}")  # the mapping changed since
    ctx = context(now, tmp_path, _state(tmp_path))
    pull = open_pull(ctx)
    assert [r["ticket_id"] for r in drain_all(pull)] == ["A", "C"]
    commit = pull.outcome().commit
    pull.close()
    assert isinstance(commit, PushCommit)
    assert [(d.seq, d.raw_id) for d in commit.dead_letters] == [(2, "B")]
    assert commit.position == 3
    assert any(
        "push event 2 (id 'B') moved to the dead letters: record 'B': the uri template failed" in n for n in ctx.notes
    )
    stage_refused(ctx.state, [])
    commit.write(ctx.state)
    rows = ctx.state.execute("SELECT seq, raw_id, reason, record FROM st.source_push_dead_letters").fetchall()
    assert rows[0][:2] == (2, "B")
    assert "UndefinedError" in rows[0][2]
    assert orjson.loads(rows[0][3])["ticket_id"] == "B"


def test_no_queue_yet_is_an_empty_drain_without_a_commit(tmp_path: Path) -> None:
    plan = push_plan()
    pull = open_pull(context(plan, tmp_path))
    assert drain_all(pull) == []
    assert pull.outcome().commit is None
    assert not queue_path(tmp_path, plan.name).exists()  # the drain never creates the queue
    pull.close()


def test_a_canonical_document_drains_as_its_document_record(tmp_path: Path) -> None:
    plan = push_plan()
    writer = QueueWriter(queue_path(tmp_path, plan.name), plan.name)
    enqueue(writer, plan, [{"op": "UPSERT", "doc_id": "kb-1", "title": "T", "content": "C"}], "k")
    writer.close()
    pull = open_pull(context(plan, tmp_path))
    assert drain_all(pull) == [
        {"__document": {"doc_id": "kb-1", "title": "T", "content": "C", "mime_type": "text/plain"}}
    ]
    pull.close()
