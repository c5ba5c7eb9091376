"""Through the engine: ingestion disabled (artifacts only), `publishLatestAlias`, and `format: csv` exports."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

from compiler.plan import seal
from tests.runtime.harness import Harness, docs_table
from tests.runtime.planbuilder import make_plan


def _harness(tmp_path: Path, **output: object) -> Harness:
    plan = make_plan((tmp_path / "out").as_uri())
    plan = dataclasses.replace(plan, output=dataclasses.replace(plan.output, **output), ingestion_enabled=False)
    return Harness(tmp_path, seal(dataclasses.replace(plan, target=None)))


def test_ingestion_disabled_writes_artifacts_and_delivers_nothing(tmp_path: Path) -> None:
    h = _harness(tmp_path)
    report = h.run(docs_table(range(1, 6)))
    assert report.delivery is None
    assert h.upsert_ids(report) == {"1", "2", "3", "4", "5"}
    assert (h.run_dir(report) / "_COMMITTED").exists()
    assert h.manifest(report)["ingestionEnabled"] is False
    assert h.manifest(report)["target"] is None


def test_publish_latest_alias_follows_the_newest_committed_run(tmp_path: Path) -> None:
    h = _harness(tmp_path, publish_latest_alias=True)
    first = h.run(docs_table(range(1, 6)))
    latest = h.out / "latest"
    assert json.loads((latest / "manifest.json").read_text())["runId"] == first.run_id
    second = h.run(docs_table(range(1, 8)))
    assert json.loads((latest / "manifest.json").read_text())["runId"] == second.run_id
    assert (latest / "upserts.ndjson").read_bytes() == (h.run_dir(second) / "upserts.ndjson").read_bytes()
    assert sorted(p.name for p in latest.iterdir()) == ["deletes.ndjson", "manifest.json", "upserts.ndjson"]


def test_without_the_alias_there_is_no_latest_folder(tmp_path: Path) -> None:
    h = _harness(tmp_path)
    h.run(docs_table(range(1, 3)))
    assert not (h.out / "latest").exists()


def test_csv_export_writes_the_query_rows_as_one_file(tmp_path: Path) -> None:
    h = _harness(tmp_path, format="csv", publish_latest_alias=True)
    table = docs_table(range(1, 21))
    report = h.run(table)
    text = (h.run_dir(report) / "rows.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["id", "title", "body", "department", "users", "groups_csv", "updated_at"]
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 21)]
    assert json.loads(rows[0]["users"]) == ["u1@example.com"]  # a list column, as JSON text
    assert json.loads(rows[1]["users"]) == []
    assert rows[2]["groups_csv"] == "staff, managers"
    assert (h.out / "latest" / "rows.csv").read_text() == text
    assert report.delivery is None
