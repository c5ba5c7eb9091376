"""Three-run scenarios through the whole engine with a fake extractor: initial, then edits, then no change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import make_plan

SMALL_GUARD_FLOOR = 1000  # the scenarios delete 2 of 20; keep the guard out of the way


def harness(tmp_path: Path, **plan_args: object) -> Harness:
    from compiler.plan import DeleteGuard

    guard = DeleteGuard(max_delete_percent=20.0, max_delete_count=10_000, min_population=SMALL_GUARD_FLOOR)
    plan = make_plan((tmp_path / "out").as_uri(), guard=guard, **plan_args)  # type: ignore[arg-type]
    return Harness(tmp_path, plan)


FIRST = list(range(1, 21))
# Second run: 3 and 4 updated, 19 and 20 deleted, 21 and 22 inserted.
SECOND = [i for i in range(1, 23) if i not in (19, 20)]


def test_snapshot_auto_delete_missing(tmp_path: Path) -> None:
    h = harness(tmp_path, policy="auto_delete_missing")
    first = h.run(docs_table(FIRST))
    assert first.changes is not None
    assert (first.changes.extracted, first.changes.new, first.changes.deleted) == (20, 20, 0)
    assert h.upsert_ids(first) == {str(i) for i in FIRST}
    assert h.deletes(first) == set()

    second = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert second.changes is not None
    c = second.changes
    assert (c.new, c.changed, c.unchanged, c.deleted) == (2, 2, 16, 2)
    assert h.upsert_ids(second) == {"3", "4", "21", "22"}
    assert h.deletes(second) == {"19", "20"}
    assert set(h.state()) == {str(i) for i in SECOND}

    third = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert third.changes is not None
    assert (third.changes.new, third.changes.changed, third.changes.unchanged, third.changes.deleted) == (0, 0, 20, 0)
    assert h.upsert_ids(third) == set()
    assert h.deletes(third) == set()
    manifest = h.manifest(third)
    assert manifest["counts"]["unchanged"] == 20
    assert manifest["files"]["upserts.ndjson"]["lines"] == 0


def test_snapshot_soft_delete_only_marks_and_unmarks(tmp_path: Path) -> None:
    h = harness(tmp_path, policy="soft_delete_only")
    first = h.run(docs_table(FIRST))
    assert all(doc["structData"]["sync_deleted"] is False for doc in h.upserts(first))

    second = h.run(docs_table(SECOND, changed=(3,), version=1))
    assert second.changes is not None
    assert (second.changes.soft_deleted, second.changes.deleted, second.changes.changed) == (2, 0, 1)
    assert h.deletes(second) == set()
    docs = {doc["id"]: doc for doc in h.upserts(second)}
    assert set(docs) == {"3", "21", "22", "19", "20"}
    for gone in ("19", "20"):
        assert docs[gone]["structData"]["sync_deleted"] is True
        assert docs[gone]["structData"]["sync_deleted_at"].endswith("Z")
        assert docs[gone]["structData"]["title"] == f"Doc {gone}"  # the whole document is kept
        assert "content" in docs[gone]
    assert h.state()["19"] is True

    third = h.run(docs_table(SECOND, changed=(3,), version=1))
    assert third.changes is not None
    assert (third.changes.soft_deleted, third.changes.changed, third.changes.new) == (0, 0, 0)
    assert h.upsert_ids(third) == set()

    # 19 reappears unchanged: re-upserted without the mark, and the state forgets the mark.
    fourth = h.run(docs_table([*SECOND, 19], changed=(3,), version=1))
    assert fourth.changes is not None
    assert fourth.changes.restored == 1
    restored = {doc["id"]: doc for doc in h.upserts(fourth)}
    assert restored["19"]["structData"]["sync_deleted"] is False
    assert h.state()["19"] is False


def test_snapshot_never_delete_keeps_missing(tmp_path: Path) -> None:
    h = harness(tmp_path, policy="never_delete")
    h.run(docs_table(FIRST))
    second = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert second.changes is not None
    assert (second.changes.deleted, second.changes.soft_deleted, second.changes.missing_kept) == (0, 0, 2)
    assert h.deletes(second) == set()
    assert h.upsert_ids(second) == {"3", "4", "21", "22"}
    assert second.skipped == [{"count": 2, "reason": "absent from the source, kept (delete policy never_delete)"}]
    assert set(h.state()) == {str(i) for i in range(1, 23)}
    third = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert third.changes is not None
    assert (third.changes.new, third.changes.changed, third.changes.deleted) == (0, 0, 0)


@pytest.mark.parametrize("policy", ["soft_delete_only", "never_delete"])
def test_incremental_reads_past_watermark_and_never_deletes(tmp_path: Path, policy: str) -> None:
    h = harness(
        tmp_path,
        policy=policy,
        kind="incremental",
        incremental="SELECT * FROM docs WHERE updated_at >= :watermark",
        watermark_field="updated_at",
    )
    first = h.run(docs_table(FIRST))
    assert first.changes is not None
    assert first.changes.new == 20
    assert h.watermark() == ("TIMESTAMP WITH TIME ZONE", "2024-01-01 00:00:20+00")

    second = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert second.changes is not None
    c = second.changes
    # Boundary row 20 is gone; 21, 22 and the changed 3, 4 are past the watermark. Nothing is deleted.
    assert (c.extracted, c.new, c.changed, c.deleted, c.soft_deleted) == (4, 2, 2, 0, 0)
    assert h.upsert_ids(second) == {"3", "4", "21", "22"}
    assert h.deletes(second) == set()
    before = h.watermark()
    assert before is not None
    assert before[1] == "2024-01-02 03:46:44+00"  # row 4 changed: T0 + 100004 s

    third = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert third.changes is not None
    # The boundary row is read again (inclusive) and recognised as unchanged by id + hash.
    assert (third.changes.extracted, third.changes.unchanged, third.changes.new, third.changes.changed) == (1, 1, 0, 0)
    assert h.upsert_ids(third) == set()
    assert h.watermark() == before


def test_incremental_with_auto_delete_missing_is_refused(tmp_path: Path) -> None:
    from runtime.errors import ConfigError

    h = harness(
        tmp_path,
        policy="auto_delete_missing",
        kind="incremental",
        incremental="SELECT * FROM docs WHERE updated_at >= :watermark",
        watermark_field="updated_at",
    )
    with pytest.raises(ConfigError, match="incremental extraction with auto_delete_missing"):
        h.run(docs_table(FIRST))
    assert not h.state_path().exists()
