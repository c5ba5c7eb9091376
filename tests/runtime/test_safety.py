"""What must never happen: mass deletes without consent, partial runs that change anything, dry runs that write."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from compiler.plan import DeleteGuard
from runtime.errors import DeleteGuardTripped, MappingError, SourceError
from tests.runtime.fakes import FakeSource
from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import make_plan

GUARD = DeleteGuard(max_delete_percent=10.0, max_delete_count=50, min_population=100)


def harness(tmp_path: Path, guard: DeleteGuard = GUARD, **plan_args: object) -> Harness:
    plan = make_plan((tmp_path / "out").as_uri(), guard=guard, **plan_args)  # type: ignore[arg-type]
    return Harness(tmp_path, plan)


def test_guard_trips_on_percent_and_names_numbers_and_override(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.run(docs_table(range(1, 201)))
    before = h.snapshot_files()
    with pytest.raises(DeleteGuardTripped) as tripped:
        h.run(docs_table(range(1, 171)))  # 30 of 200 = 15% > 10%
    message = str(tripped.value)
    assert "30 of 200" in message
    assert "15.0%" in message
    assert "--allow-mass-delete" in message
    assert tripped.value.exit_code == 3
    assert h.snapshot_files() == before

    overridden = h.run(docs_table(range(1, 171)), allow_mass_delete=True)
    assert overridden.changes is not None
    assert overridden.changes.deleted == 30
    assert len(h.deletes(overridden)) == 30
    assert "delete guard overridden with --allow-mass-delete" in overridden.notes


def test_guard_trips_on_count(tmp_path: Path) -> None:
    h = harness(tmp_path, guard=DeleteGuard(max_delete_percent=100.0, max_delete_count=5, min_population=10))
    h.run(docs_table(range(1, 101)))
    with pytest.raises(DeleteGuardTripped, match="6 of 100"):
        h.run(docs_table(range(1, 95)))
    h.run(docs_table(range(1, 96)))  # 5 deletions: at the limit, allowed


def test_guard_floor_lets_small_populations_through(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.run(docs_table(range(1, 11)))
    report = h.run(docs_table(range(1, 6)))  # 50% but only 10 known < floor of 100
    assert report.changes is not None
    assert report.changes.deleted == 5


def test_soft_deletes_count_for_the_guard(tmp_path: Path) -> None:
    h = harness(tmp_path, policy="soft_delete_only")
    h.run(docs_table(range(1, 201)))
    with pytest.raises(DeleteGuardTripped, match="30 of 200"):
        h.run(docs_table(range(1, 171)))


def test_empty_result_from_a_full_table_trips_the_guard_even_below_the_floor(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.run(docs_table(range(1, 11)))
    before = h.snapshot_files()
    with pytest.raises(DeleteGuardTripped, match="returned no records but 10 documents are known"):
        h.run(docs_table([]))
    assert h.snapshot_files() == before
    report = h.run(docs_table([]), allow_mass_delete=True)
    assert report.changes is not None
    assert report.changes.deleted == 10


@pytest.mark.parametrize("policy", ["auto_delete_missing", "soft_delete_only", "never_delete"])
def test_failure_mid_stream_changes_nothing(tmp_path: Path, policy: str) -> None:
    h = harness(tmp_path, policy=policy, watermark_field="updated_at")
    h.run(docs_table(range(1, 101)))
    before = h.snapshot_files()
    fake = FakeSource(docs_table(range(1, 101), changed=(1, 2), version=1), fail_after=40, batch_rows=10)
    with pytest.raises(SourceError, match="after 40 rows"):
        h.run(fake=fake)
    assert fake.closed == 1
    assert h.snapshot_files() == before
    assert sorted(p.name for p in (h.out / "runs").iterdir()) == [h.runs[0].run_id]


def test_unexpected_driver_exception_becomes_a_source_error(tmp_path: Path) -> None:
    class Broken:
        def batches(self, statement: str, params: object) -> object:
            yield docs_table([1]).to_batches()[0]
            raise ConnectionResetError("server closed the connection unexpectedly")

        def close(self) -> None:
            pass

    h = harness(tmp_path)
    with pytest.raises(SourceError, match="ConnectionResetError: server closed the connection"):
        h.run(opener=lambda source, url: Broken())  # type: ignore[arg-type, return-value]
    assert not h.state_path().exists()
    assert not (h.out / "runs").exists()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    h = harness(tmp_path)
    dry = h.run(docs_table(range(1, 21)), dry_run=True)
    assert dry.changes is not None
    assert dry.changes.new == 20
    assert not h.state_path().exists()
    assert not h.out.exists()
    h.run(docs_table(range(1, 21)))
    before = h.snapshot_files()
    dry = h.run(docs_table(range(1, 15), changed=(1,), version=1), dry_run=True)
    assert dry.changes is not None
    assert (dry.changes.changed, dry.changes.deleted) == (1, 6)
    assert dry.preview == {"changed": ["1"], "delete": ["15", "16", "17", "18", "19", "20"]}
    assert h.snapshot_files() == before


def test_duplicate_ids_are_reported_not_merged(tmp_path: Path) -> None:
    h = harness(tmp_path)
    table = pa.concat_tables([docs_table([1, 2, 3]), docs_table([2, 3])])
    with pytest.raises(MappingError, match=r"2 document id\(s\) occur more than once.*'2' \(2 records"):
        h.run(table)
    assert not h.state_path().exists()


def test_null_id_names_the_record(tmp_path: Path) -> None:
    h = harness(tmp_path)
    table = docs_table([1, 2, 3])
    table = table.set_column(0, "id", pa.array([1, None, 3], pa.int64()))
    with pytest.raises(MappingError, match=r"record #2 of the extraction has an empty or NULL id"):
        h.run(table)


def test_missing_column_is_a_clear_mapping_error(tmp_path: Path) -> None:
    h = harness(tmp_path, metadata=("department", "owner"))
    with pytest.raises(MappingError, match="metadata field is 'owner' but the query returns no such column"):
        h.run(docs_table([1]))
