"""Watermarks compare in the column's type, bind typed values, and advance only after a successful run."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from runtime.errors import SourceError
from tests.runtime.fakes import FakeSource
from tests.runtime.harness import Harness
from tests.runtime.planbuilder import fields, make_plan


def harness(tmp_path: Path, initial: str | int | None = None) -> Harness:
    plan = make_plan(
        (tmp_path / "out").as_uri(),
        policy="never_delete",
        kind="incremental",
        snapshot="SELECT id, title, wm FROM t",
        incremental="SELECT id, title, wm FROM t WHERE wm >= :watermark",
        watermark_field="wm",
        watermark_initial=initial,
        content=fields("{{ title }}"),
        metadata=(),
    )
    return Harness(tmp_path, plan)


def rows(wms: list[object], kind: pa.DataType) -> pa.Table:
    return pa.table(
        {
            "id": list(range(1, len(wms) + 1)),
            "title": [f"t{i}" for i in range(len(wms))],
            "wm": pa.array(wms, kind),
        }
    )


def test_integer_watermark_compares_as_integers(tmp_path: Path) -> None:
    h = harness(tmp_path)
    fake = FakeSource(rows([9, 2, 7], pa.int64()), watermark_column="wm")
    h.run(fake=fake)
    assert fake.calls[0] == ("SELECT id, title, wm FROM t", {})  # first run: no watermark yet, read everything
    assert h.watermark() == ("BIGINT", "9")
    fake.table = rows([9, 2, 7, 10], pa.int64())  # as strings "10" < "9"; as integers it is the new max
    report = h.run(fake=fake)
    assert fake.calls[1] == ("SELECT id, title, wm FROM t WHERE wm >= :watermark", {"watermark": 9})
    assert isinstance(fake.calls[1][1]["watermark"], int)
    assert report.changes is not None
    assert (report.changes.extracted, report.changes.new) == (2, 1)
    assert h.watermark() == ("BIGINT", "10")
    assert report.watermark_before == {"field": "wm", "type": "BIGINT", "value": "9"}


def test_timestamp_watermark_binds_a_datetime(tmp_path: Path) -> None:
    h = harness(tmp_path)
    t = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
    fake = FakeSource(rows([t, t - datetime.timedelta(days=1)], pa.timestamp("us", tz="UTC")), watermark_column="wm")
    h.run(fake=fake)
    h.run(fake=fake)
    bound = fake.calls[1][1]["watermark"]
    assert bound == t
    assert isinstance(bound, datetime.datetime)
    assert bound.tzinfo is not None


def test_string_watermark_and_initial_value(tmp_path: Path) -> None:
    h = harness(tmp_path, initial="2024-01-01")
    fake = FakeSource(rows(["2023-12-31", "2024-01-01", "2024-02-01"], pa.string()), watermark_column="wm")
    report = h.run(fake=fake)
    assert fake.calls[0][1] == {"watermark": "2024-01-01"}
    assert report.changes is not None
    assert report.changes.extracted == 2  # inclusive boundary
    assert h.watermark() == ("VARCHAR", "2024-02-01")


def test_failed_run_does_not_advance_the_watermark(tmp_path: Path) -> None:
    h = harness(tmp_path)
    fake = FakeSource(rows([1, 2, 3], pa.int64()), watermark_column="wm")
    h.run(fake=fake)
    fake.table = rows(list(range(1, 50)), pa.int64())
    fake.fail_after, fake.batch_rows = 20, 5
    with pytest.raises(SourceError):
        h.run(fake=fake)
    assert h.watermark() == ("BIGINT", "3")


def test_watermark_never_moves_backwards(tmp_path: Path) -> None:
    h = harness(tmp_path)
    fake = FakeSource(rows([5], pa.int64()), watermark_column="wm")
    h.run(fake=fake)
    fake.watermark_column = None  # a source that ignores the bind and returns older rows
    fake.table = rows([1, 2], pa.int64())
    h.run(fake=fake)
    assert h.watermark() == ("BIGINT", "5")


def _refusing(*doc_ids: str) -> Any:
    from runtime.ingest import DeliveryRequest, DeliveryResult, FailedDocument

    def deliver(request: DeliveryRequest) -> DeliveryResult:
        failed = tuple(FailedDocument(doc_id, "upsert", "refused by the test") for doc_id in doc_ids)
        return DeliveryResult(upserted=request.upserts_count - len(failed), deleted=0, failed=failed)

    return deliver


def test_a_refused_document_holds_the_watermark_so_the_next_run_reads_it_again(tmp_path: Path) -> None:
    h = harness(tmp_path)
    fake = FakeSource(rows([5, 9, 7], pa.int64()), watermark_column="wm")
    report = h.run(fake=fake, deliver=_refusing("3"))  # record 3 (wm 7) refused
    assert h.watermark() == ("BIGINT", "7")  # not 9: a run from 9 on would never read record 3 again
    assert report.watermark_after == {"field": "wm", "type": "BIGINT", "value": "7"}
    assert any("watermark held at 7" in note for note in report.notes)
    again = h.run(fake=fake)
    assert fake.calls[1][1] == {"watermark": 7}
    assert again.changes is not None
    assert (again.changes.new, again.changes.unchanged) == (1, 1)  # record 3 sent again; record 2 (wm 9) deduplicated
    assert h.watermark() == ("BIGINT", "9")


def test_a_refused_document_above_the_others_changes_nothing(tmp_path: Path) -> None:
    h = harness(tmp_path)
    fake = FakeSource(rows([5, 9, 7], pa.int64()), watermark_column="wm")
    h.run(fake=fake, deliver=_refusing("2"))  # the refused record has the highest value: held at 9 is 9
    assert h.watermark() == ("BIGINT", "9")


def test_a_json_watermark_is_held_in_its_own_type_and_text() -> None:
    import duckdb

    from runtime.state.checkpoint import held_for_refused
    from runtime.state.refused import stage_refused
    from runtime.state.watermark import Watermark

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE keys AS SELECT * FROM (VALUES ('a', '\"2024-05-03T00:00:00Z\"'::JSON),"
        " ('b', '\"2024-05-02T08:00:00+02:00\"'::JSON), ('c', '\"2024-05-02T07:00:00Z\"'::JSON)) t(id, wm)"
    )
    after = Watermark(field="updated", type="TIMESTAMPTZ", text="2024-05-03T00:00:00Z", json=True)
    stage_refused(con, [("a", "upsert"), ("b", "upsert"), ("c", "upsert")])
    held = held_for_refused(con, after)
    # compared as instants (08:00+02:00 is 06:00Z, before 07:00Z), kept as the record wrote it
    assert held == Watermark(field="updated", type="TIMESTAMPTZ", text="2024-05-02T08:00:00+02:00", json=True)
    stage_refused(con, [])
    assert held_for_refused(con, after) == after
    stage_refused(con, [("unknown", "upsert")])
    assert held_for_refused(con, after) == after
    stage_refused(con, [("b", "delete")])  # a refused delete holds nothing: the record is not read for it
    assert held_for_refused(con, after) == after
