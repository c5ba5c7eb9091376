"""Staging buffers keys and upserted ids across result batches: every row must still land, whatever the sizes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from runtime.errors import MappingError
from runtime.stage import staging
from tests.runtime.harness import docs_table
from tests.runtime.planbuilder import make_plan
from tests.runtime.test_scenarios_fake import FIRST, SECOND, harness


@pytest.mark.parametrize("policy", ["auto_delete_missing", "soft_delete_only"])
def test_small_result_batches_and_flushes_keep_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    # 4-row result batches, flushed every 6 rows: flushes mid-stream, across batches, and a remainder at the end.
    monkeypatch.setattr(staging, "LINE_BATCH", 4)
    monkeypatch.setattr(staging, "FLUSH_ROWS", 6)
    h = harness(tmp_path, policy=policy)
    first = h.run(docs_table(FIRST))
    assert first.changes is not None
    assert (first.changes.extracted, first.changes.new) == (20, 20)
    assert h.upsert_ids(first) == {str(i) for i in FIRST}

    second = h.run(docs_table(SECOND, changed=(3, 4), version=1))
    assert second.changes is not None
    c = second.changes
    assert (c.new, c.changed, c.unchanged) == (2, 2, 16)
    if policy == "auto_delete_missing":
        assert c.deleted == 2
        assert h.upsert_ids(second) == {"3", "4", "21", "22"}
        assert h.deletes(second) == {"19", "20"}
    else:  # soft deletes re-upsert the kept documents: their JSON went through the unbuffered `docs` path
        assert (c.soft_deleted, c.deleted) == (2, 0)
        docs = {doc["id"]: doc for doc in h.upserts(second)}
        assert set(docs) == {"3", "4", "21", "22", "19", "20"}
        assert docs["19"]["structData"]["title"] == "Doc 19"
        assert docs["19"]["structData"]["sync_deleted"] is True
    assert set(h.state()) >= {str(i) for i in SECOND}


def _empty(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=schema)


def test_an_empty_extraction_runs_no_staging_query(tmp_path: Path) -> None:
    """Nothing extracted (every file carried, say): the query is bound, never run, so `known`'s hash table is never
    built (here reading `known` raises); the mapping is still checked against the columns."""
    plan = make_plan((tmp_path / "out").as_uri())
    schema = docs_table([1]).schema
    con = duckdb.connect()
    con.execute(
        "CREATE VIEW known AS SELECT 0::UBIGINT AS idh, 0::UBIGINT AS hash,"
        " CAST(error('known was read') AS BOOLEAN) AS deleted FROM range(1)"
    )
    result = staging.stage_batches(
        con, plan, [_empty(schema)], staging.StageOptions(compare_hashes=True, upserts=None, keep_docs=False)
    )
    assert result == staging.StageResult(rows=0, watermark_type=None)
    assert con.execute("SELECT count(*) FROM keys").fetchall() == [(0,)]
    without_title = _empty(schema.remove(schema.get_field_index("title")))
    with pytest.raises(MappingError, match="title"):
        staging.stage_batches(
            duckdb.connect(),
            plan,
            [without_title],
            staging.StageOptions(compare_hashes=True, upserts=None, keep_docs=False),
        )


def test_wide_records_are_matched_with_known_batch_by_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide records (keyed per batch, `_WideKeyer`) tell unchanged, changed and restored documents apart as the
    streaming query does; a first sync keys them without `known`."""
    monkeypatch.setattr(staging, "WIDE_ROW_BYTES", 1)  # every record is wide
    queries: list[str] = []
    original = staging._WideKeyer.__init__

    def spy(self: staging._WideKeyer, con: duckdb.DuckDBPyConnection, sql: object, match: bool) -> None:
        original(self, con, sql, match)  # type: ignore[arg-type]
        queries.append(self.query)

    monkeypatch.setattr(staging._WideKeyer, "__init__", spy)
    h = harness(tmp_path, policy="soft_delete_only")
    first = h.run(docs_table(FIRST))
    assert first.changes is not None
    assert first.changes.new == 20
    assert "known" not in queries[-1]  # nothing known: nothing to match
    second = h.run(docs_table(SECOND, changed=(3,), version=1))
    assert second.changes is not None
    assert (second.changes.unchanged, second.changes.changed, second.changes.new) == (17, 1, 2)
    assert second.changes.soft_deleted == 2
    assert "known" in queries[-1]
    third = h.run(docs_table([*SECOND, 19], changed=(3,), version=1))  # 19 back unchanged
    assert third.changes is not None
    assert (third.changes.restored, third.changes.unchanged, third.changes.changed) == (1, 20, 0)
    assert {doc["id"] for doc in h.upserts(third)} == {"19"}
    assert h.state()["19"] is False
