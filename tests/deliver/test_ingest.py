"""`DiscoveryEngineDeliver` against the Discovery Engine emulator (and the GCS emulator for GCS imports)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from compiler.plan import Plan, seal
from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig, HttpFault
from runtime.ingest import DeliveryRequest, DeliveryResult, FailedDocument
from runtime.ingest.deliver import DiscoveryEngineDeliver
from runtime.ingest.errors import DeliveryError
from runtime.ingest.settings import DeliverySettings
from tests.deliver.emulators import BRANCH
from tests.runtime.planbuilder import make_plan

FAST = DeliverySettings(
    backoff_initial=0.01, backoff_max=0.05, poll_initial=0.01, poll_max=0.05, delete_rate=0, attempts=5
)


def _document(i: int) -> dict[str, Any]:
    return {
        "id": f"d{i:04}",
        "structData": {"title": f"Doc {i}", "department": "eng" if i % 2 else "hr"},
        "aclInfo": {"readers": [{"principals": [{"userId": f"u{i}@example.com"}, {"groupId": "all@example.com"}]}]},
    }


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _request(
    tmp: Path, upserts: list[dict[str, Any]], deletes: list[str], *, uri: str | None = None, plan: Plan | None = None
) -> DeliveryRequest:
    up = _write(tmp / "upserts.ndjson", upserts)
    down = _write(tmp / "deletes.ndjson", [{"id": i} for i in deletes])
    return DeliveryRequest(
        plan=plan or make_plan(tmp.as_uri()),
        run_id="r1",
        upserts=up,
        upserts_uri=uri or up.as_uri(),
        upserts_count=len(upserts),
        deletes=down,
        deletes_count=len(deletes),
    )


def _deliver(de: BackgroundEmulator, settings: DeliverySettings = FAST) -> DiscoveryEngineDeliver:
    return DiscoveryEngineDeliver(settings, environ={"DISCOVERYENGINE_EMULATOR_HOST": de.host})


def _stored(api: httpx.Client) -> dict[str, dict[str, Any]]:
    stored: dict[str, dict[str, Any]] = {}
    token = ""
    while True:
        page = api.get(f"/v1/{BRANCH}/documents", params={"pageSize": 1000, "pageToken": token}).json()
        for document in page.get("documents", []):
            document.pop("name")
            stored[document["id"]] = document
        token = page.get("nextPageToken", "")
        if not token:
            return stored


def test_inline_batches_of_100_then_deletes_with_404_as_done(
    de: BackgroundEmulator, api: httpx.Client, tmp_path: Path
) -> None:
    documents = [_document(i) for i in range(250)]
    result = _deliver(de)(_request(tmp_path, documents, []))
    assert result == DeliveryResult(upserted=250, deleted=0, failed=(), calls=result.calls, notes=())
    assert _stored(api) == {d["id"]: d for d in documents}
    assert de.emulator.calls["POST import"] == 3  # 100 + 100 + 50
    gone = [f"d{i:04}" for i in range(0, 250, 5)] + ["never-existed"]
    result = _deliver(de)(_request(tmp_path, [], gone))
    assert (result.deleted, result.failed) == (51, ())
    assert result.notes == ("1 deleted documents were already gone from the data store (404)",)
    assert sorted(_stored(api)) == sorted(d["id"] for d in documents if d["id"] not in gone)


def test_gcs_artifact_is_imported_in_one_operation(
    de: BackgroundEmulator, api: httpx.Client, tmp_path: Path, gcs_bucket: str
) -> None:
    documents = [_document(i) for i in range(300)]
    request = _request(tmp_path, documents, [], uri=f"gs://{gcs_bucket}/docs/runs/r1/upserts.ndjson")
    bucket = storage.Client(project="t", credentials=AnonymousCredentials()).bucket(gcs_bucket)
    bucket.blob("docs/runs/r1/upserts.ndjson").upload_from_filename(str(request.upserts))
    result = _deliver(de)(request)
    assert (result.upserted, result.failed) == (300, ())
    assert de.emulator.calls["POST import"] == 1
    assert _stored(api) == {d["id"]: d for d in documents}


def test_a_partial_gcs_import_names_the_failed_documents(
    de: BackgroundEmulator, api: httpx.Client, tmp_path: Path, gcs_bucket: str
) -> None:
    de.emulator.faults.reject_ids = {"d0007", "d0150"}
    documents = [_document(i) for i in range(200)]
    request = _request(tmp_path, documents, [], uri=f"gs://{gcs_bucket}/runs/r1/upserts.ndjson")
    storage.Client(project="t", credentials=AnonymousCredentials()).bucket(gcs_bucket).blob(
        "runs/r1/upserts.ndjson"
    ).upload_from_filename(str(request.upserts))
    result = _deliver(de)(request)
    assert [f.id for f in result.failed] == ["d0007", "d0150"]
    assert result.failed[0] == FailedDocument("d0007", "upsert", "document d0007 rejected by an injected fault")
    assert result.upserted == 198
    assert "the import reported 198 imported and 2 failed of 200" in result.notes[0]
    assert "2 documents failed and stay pending for the next run" in result.notes
    assert sorted(_stored(api)) == sorted(d["id"] for d in documents if d["id"] not in {"d0007", "d0150"})
    # 1 GCS import, then 2 inline imports of 100, then the 200 documents of both batches one by one.
    assert (de.emulator.calls["POST import"], de.emulator.calls["PATCH document"]) == (3, 200)


def test_too_many_failures_keep_the_whole_import_pending(de: BackgroundEmulator, tmp_path: Path) -> None:
    de.emulator.faults.reject_every = 2
    settings = dataclasses.replace(FAST, isolate_limit=10)
    result = _deliver(de, settings)(_request(tmp_path, [_document(i) for i in range(40)], []))
    assert len(result.failed) == 40
    assert result.upserted == 0
    assert "more than the isolate limit 10" in result.failed[0].reason
    assert de.emulator.calls["PATCH document"] == 0


def test_a_storm_of_429s_is_survived(de: BackgroundEmulator, api: httpx.Client, tmp_path: Path) -> None:
    de.emulator.faults.http = [HttpFault(status=429, count=40, retry_after=0)]
    documents = [_document(i) for i in range(150)]
    result = _deliver(de, dataclasses.replace(FAST, attempts=50))(_request(tmp_path, documents, ["x1", "x2"]))
    assert (result.upserted, result.deleted, result.failed) == (150, 2, ())
    assert "40 calls were retried (429, 5xx or connection errors)" in result.notes
    assert result.calls == sum(de.emulator.calls.values())
    assert len(_stored(api)) == 150


def test_retry_after_is_honoured(de: BackgroundEmulator, tmp_path: Path) -> None:
    de.emulator.faults.http = [HttpFault(status=503, method="DELETE", count=1, retry_after=0.6)]
    started = time.monotonic()
    result = _deliver(de)(_request(tmp_path, [], ["a"]))
    assert time.monotonic() - started >= 0.6  # the backoff alone would be ~0.01 s
    assert result.deleted == 1


def test_retries_spent_fail_the_delivery(de: BackgroundEmulator, tmp_path: Path) -> None:
    de.emulator.faults.http = [HttpFault(status=500, method="DELETE", count=-1)]
    with pytest.raises(DeliveryError, match=r"DELETE /v1/.*/documents/a: HTTP 500 INTERNAL.*after 5 tries"):
        _deliver(de)(_request(tmp_path, [], ["a"]))
    assert de.emulator.calls["DELETE document"] == 5


def test_other_4xx_are_never_retried(de: BackgroundEmulator, tmp_path: Path) -> None:
    de.emulator.faults.http = [HttpFault(status=400, method="DELETE", count=1)]
    result = _deliver(de)(_request(tmp_path, [], ["a", "b"]))
    assert [(f.id, f.operation) for f in result.failed] in ([("a", "delete")], [("b", "delete")])
    assert de.emulator.calls["DELETE document"] == 2
    de.emulator.faults.http = [HttpFault(status=403, count=1)]
    with pytest.raises(DeliveryError, match="check the credentials"):
        _deliver(de)(_request(tmp_path, [], ["c"]))


def test_a_failed_import_fails_the_delivery_as_a_whole(de: BackgroundEmulator, tmp_path: Path) -> None:
    de.emulator.faults.fail_imports = 1
    with pytest.raises(DeliveryError, match=r"failed: injected fault: the import failed as a whole.*nothing was"):
        _deliver(de)(_request(tmp_path, [_document(1)], []))


def test_the_rate_limit_bounds_deletes_per_second(de: BackgroundEmulator, tmp_path: Path) -> None:
    settings = dataclasses.replace(FAST, delete_rate=40, delete_concurrency=8)
    started = time.monotonic()
    result = _deliver(de, settings)(_request(tmp_path, [], [f"x{i}" for i in range(80)]))
    assert result.deleted == 80
    assert time.monotonic() - started >= 0.9  # 80 calls at 40/s: the bucket's first 40, then ~1 s more


def test_the_location_host_reaches_the_emulator_and_a_mismatch_is_refused(
    de: BackgroundEmulator, tmp_path: Path
) -> None:
    plan = make_plan(tmp_path.as_uri())
    eu_branch = plan.target.branch.replace("locations/global", "locations/eu")
    eu = dataclasses.replace(plan.target, location="eu", endpoint="eu-discoveryengine.googleapis.com", branch=eu_branch)
    result = _deliver(de)(_request(tmp_path, [_document(1)], [], plan=seal(dataclasses.replace(plan, target=eu))))
    assert result.upserted == 1
    wrong = dataclasses.replace(eu, endpoint="discoveryengine.googleapis.com")
    with pytest.raises(DeliveryError, match=r"served by eu-discoveryengine\.googleapis\.com"):
        _deliver(de)(_request(tmp_path, [_document(1)], [], plan=seal(dataclasses.replace(plan, target=wrong))))


def test_an_unreachable_emulator_fails_after_the_retries(tmp_path: Path) -> None:
    deliver = DiscoveryEngineDeliver(
        dataclasses.replace(FAST, attempts=2), {"DISCOVERYENGINE_EMULATOR_HOST": "127.0.0.1:9"}
    )
    with pytest.raises(DeliveryError, match=r"cannot reach http://127.0.0.1:9.*after 2 tries"):
        deliver(_request(tmp_path, [], ["a"]))


def test_emulator_host_must_be_host_and_port(tmp_path: Path) -> None:
    deliver = DiscoveryEngineDeliver(FAST, {"DISCOVERYENGINE_EMULATOR_HOST": "http://127.0.0.1:1"})
    with pytest.raises(DeliveryError, match="write host:port"):
        deliver(_request(tmp_path, [], ["a"]))


def test_without_emulator_credentials_come_from_adc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(DeliveryError, match="application-default login"):
        DiscoveryEngineDeliver(FAST, environ={})(_request(tmp_path, [], ["a"]))


def test_settings_from_the_environment() -> None:
    settings = DeliverySettings.from_env({"GEMINI_SYNC_DE_DELETE_RATE": "500", "GEMINI_SYNC_DE_ATTEMPTS": "3"})
    assert (settings.delete_rate, settings.attempts) == (500.0, 3)
    with pytest.raises(Exception, match="GEMINI_SYNC_DE_ATTEMPTS='x' is not a number"):
        DeliverySettings.from_env({"GEMINI_SYNC_DE_ATTEMPTS": "x"})


@pytest.mark.parametrize("de_config", [EmulatorConfig(content_required=True)])
def test_content_is_delivered_to_a_data_store_with_content(
    de: BackgroundEmulator, api: httpx.Client, tmp_path: Path
) -> None:
    document = {**_document(1), "content": {"mimeType": "text/plain", "rawBytes": "aGVsbG8="}}
    assert _deliver(de)(_request(tmp_path, [document], [])).upserted == 1
    assert _stored(api)["d0001"]["content"] == {"mimeType": "text/plain", "rawBytes": "aGVsbG8="}
