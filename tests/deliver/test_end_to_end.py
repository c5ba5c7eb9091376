"""End to end through both emulators: source -> engine -> gs:// artifacts (GCS emulator) -> GCS import and
deletes into the Discovery Engine emulator, then the data store compared with the source.

Also: a partial import failure is retried by the next run; a storm of 429s is survived; a failed import advances
nothing (no state, no watermark, no committed artifacts).
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from compiler.plan import DeleteGuard, Plan, SqlSource
from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig, HttpFault
from runtime.errors import RuntimeFailure
from runtime.ingest.deliver import DiscoveryEngineDeliver
from runtime.ingest.settings import DeliverySettings
from runtime.report import RunReport
from runtime.run import ExecOptions, execute
from runtime.sources import Pull, PullContext
from runtime.sources.sql import open_sql_pull
from tests.deliver.emulators import BRANCH
from tests.runtime.fakes import FakeSource
from tests.runtime.harness import docs_table
from tests.runtime.planbuilder import fields, make_plan

FAST = DeliverySettings(backoff_initial=0.01, backoff_max=0.05, poll_initial=0.01, poll_max=0.05, attempts=6)
GUARD = DeleteGuard(max_delete_percent=50.0, max_delete_count=10_000, min_population=1000)
FIRST = list(range(1, 31))
SECOND = [i for i in range(1, 33) if i not in (7, 8)]  # 7, 8 deleted; 31, 32 inserted; 3, 4 changed


@pytest.fixture
def de_config() -> EmulatorConfig:
    return EmulatorConfig(content_required=True)


class Sync:
    """Runs of one plan whose artifacts go to gs:// and whose documents go to the emulator."""

    def __init__(
        self, tmp: Path, bucket: str, de: BackgroundEmulator, settings: DeliverySettings = FAST, **plan: Any
    ) -> None:
        self.plan: Plan = make_plan(
            f"gs://{bucket}/docs",
            **plan,
            guard=GUARD,
            acl_users="users",
            acl_groups="groups_csv",
            content=fields("{{ department }}: {{ body }}"),
        )
        self.state = tmp / "state"
        self.deliver = DiscoveryEngineDeliver(settings, environ={"DISCOVERYENGINE_EMULATOR_HOST": de.host})
        self.de = de

    def run(self, table: pa.Table) -> RunReport:
        source = FakeSource(table, watermark_column="updated_at")

        def open_pull(context: PullContext) -> Pull:
            assert isinstance(context.plan.source, SqlSource)
            return open_sql_pull(context, context.plan.source, source.open)

        return execute(
            self.plan,
            ExecOptions(state_dir=self.state),
            open_pull=open_pull,
            resolve_secret=lambda secret: "duckdb:///not-used",
            deliver=self.deliver,
        )

    def stored(self) -> dict[str, dict[str, Any]]:
        page = httpx.get(f"http://{self.de.host}/v1/{BRANCH}/documents", params={"pageSize": 1000}).json()
        return {d["id"]: d for d in page.get("documents", [])}


def _expected(table: pa.Table) -> dict[str, dict[str, Any]]:
    """What the data store must hold for the source rows: content, metadata and ACLs as the plan declares."""
    expected = {}
    for row in table.to_pylist():
        principals = [{"userId": u} for u in row["users"]]
        principals += [{"groupId": g.strip()} for g in (row["groups_csv"] or "").split(",") if g.strip()]
        document: dict[str, Any] = {
            "title": row["title"],
            "department": row["department"],
            "uri": f"https://example.com/docs/{row['id']}",
            "content": f"{row['department']}: {row['body']}",
            "principals": sorted(next(iter(p.items())) for p in principals),
        }
        expected[str(row["id"])] = document
    return expected


def _actual(stored: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    actual = {}
    for document_id, document in stored.items():
        data = document["structData"]
        readers = document.get("aclInfo", {}).get("readers", [])
        actual[document_id] = {
            "title": data["title"],
            "department": data["department"],
            "uri": data["uri"],
            "content": base64.b64decode(document["content"]["rawBytes"]).decode(),
            "principals": sorted(next(iter(p.items())) for r in readers for p in r["principals"]),
        }
        assert document["content"]["mimeType"] == "text/plain"
    return actual


def test_full_sync_then_updates_and_deletes_leave_the_data_store_equal_to_the_source(
    tmp_path: Path, gcs_bucket: str, de: BackgroundEmulator
) -> None:
    sync = Sync(tmp_path, gcs_bucket, de)
    first = sync.run(docs_table(FIRST))
    assert first.delivery is not None
    assert (first.delivery.upserted, first.delivery.deleted, first.delivery.failed) == (30, 0, ())
    assert first.artifacts is not None
    assert first.artifacts.startswith(f"gs://{gcs_bucket}/docs/runs/")
    assert de.emulator.calls["POST import"] == 1  # the GCS artifact, in one operation
    assert _actual(sync.stored()) == _expected(docs_table(FIRST))

    second_table = docs_table(SECOND, changed=[3, 4], version=1)
    second = sync.run(second_table)
    assert second.delivery is not None
    assert (second.delivery.upserted, second.delivery.deleted) == (4, 2)
    assert _actual(sync.stored()) == _expected(second_table)

    third = sync.run(second_table)  # nothing changed: nothing imported, nothing deleted
    assert third.delivery is not None
    assert (third.delivery.upserted, third.delivery.deleted, third.delivery.calls) == (0, 0, 0)


def test_a_partial_import_failure_is_named_and_retried_by_the_next_run(
    tmp_path: Path, gcs_bucket: str, de: BackgroundEmulator
) -> None:
    sync = Sync(tmp_path, gcs_bucket, de)
    de.emulator.faults.reject_ids = {"5", "12"}
    first = sync.run(docs_table(FIRST))
    assert first.delivery is not None
    assert sorted(f.id for f in first.delivery.failed) == ["12", "5"]
    assert "rejected by an injected fault" in first.delivery.failed[0].reason
    assert sorted(sync.stored(), key=int) == [str(i) for i in FIRST if i not in (5, 12)]

    de.emulator.faults.reject_ids = set()
    second = sync.run(docs_table(FIRST))  # the source did not change: only the pending documents go again
    assert second.delivery is not None
    assert (second.delivery.upserted, second.delivery.failed) == (2, ())
    assert _actual(sync.stored()) == _expected(docs_table(FIRST))


def test_a_storm_of_429s_is_survived(tmp_path: Path, gcs_bucket: str, de: BackgroundEmulator) -> None:
    sync = Sync(tmp_path, gcs_bucket, de, dataclasses.replace(FAST, attempts=40))
    sync.run(docs_table(FIRST))
    de.emulator.faults.http = [HttpFault(status=429, count=25, retry_after=0)]
    second_table = docs_table(SECOND, changed=[3, 4], version=1)
    second = sync.run(second_table)
    assert second.delivery is not None
    assert second.delivery.failed == ()
    assert "25 calls were retried (429, 5xx or connection errors)" in second.delivery.notes
    assert _actual(sync.stored()) == _expected(second_table)


def test_a_failed_import_advances_nothing(tmp_path: Path, gcs_bucket: str, de: BackgroundEmulator) -> None:
    sync = Sync(tmp_path, gcs_bucket, de)
    first = sync.run(docs_table(FIRST))
    de.emulator.faults.fail_imports = 1
    second_table = docs_table(SECOND, changed=[3, 4], version=1)
    with pytest.raises(RuntimeFailure, match="the import failed as a whole"):
        sync.run(second_table)
    from runtime.deliver.gcs import GcsStore

    store = GcsStore.from_uri(sync.plan.output.base_uri)
    runs = {key.split("/")[1] for key in store.list("runs/")}
    assert runs == {first.run_id}  # the failed run's artifacts were taken back
    assert sorted(sync.stored(), key=int) == [str(i) for i in FIRST]  # deletes were never sent
    retried = sync.run(second_table)  # the next run finds every change still to do
    assert retried.delivery is not None
    assert (retried.delivery.upserted, retried.delivery.deleted) == (4, 2)
    assert _actual(sync.stored()) == _expected(second_table)


def test_soft_deletes_arrive_as_updates_and_a_reappearance_clears_the_mark(
    tmp_path: Path, gcs_bucket: str, de: BackgroundEmulator
) -> None:
    sync = Sync(tmp_path, gcs_bucket, de, policy="soft_delete_only")
    sync.run(docs_table(FIRST))
    second = sync.run(docs_table([i for i in FIRST if i not in (7, 8)]))
    assert second.delivery is not None
    assert (second.delivery.upserted, second.delivery.deleted) == (2, 0)  # updates, never DELETE calls
    stored = sync.stored()
    assert len(stored) == 30
    assert stored["7"]["structData"]["sync_deleted"] is True
    assert stored["7"]["structData"]["sync_deleted_at"]
    assert stored["9"]["structData"]["sync_deleted"] is False
    sync.run(docs_table(FIRST))  # 7 and 8 are back
    assert sync.stored()["7"]["structData"]["sync_deleted"] is False
    assert de.emulator.calls["DELETE document"] == 0
