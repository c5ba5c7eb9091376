"""Watermarks compare in the column's type, bind typed values, and advance only after a successful run."""

from __future__ import annotations

import datetime
from pathlib import Path

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
