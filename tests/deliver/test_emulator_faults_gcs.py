"""The emulator's injected faults (flags and control endpoint) and its imports from GCS through the GCS emulator."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from runtime.emulator.discoveryengine import EmulatorConfig, Faults, HttpFault
from runtime.emulator.discoveryengine.cli import _fault
from tests.deliver.emulators import BRANCH

DOCS = f"/v1/{BRANCH}/documents"


def _wait(api: httpx.Client, operation: dict[str, Any]) -> dict[str, Any]:
    for _ in range(500):
        if operation.get("done"):
            return operation
        time.sleep(0.01)
        operation = api.get(f"/v1/{operation['name']}").json()
    raise AssertionError(operation)


def _bucket(name: str) -> storage.Bucket:
    return storage.Client(project="test", credentials=AnonymousCredentials()).bucket(name)


@pytest.mark.parametrize(
    "de_config", [EmulatorConfig(faults=Faults(http=[HttpFault(status=429, method="DELETE", count=2, retry_after=3)]))]
)
def test_flagged_http_faults_answer_the_next_matching_calls_with_retry_after(api: httpx.Client) -> None:
    api.post(DOCS, params={"documentId": "d"}, json={"structData": {}})
    for _ in range(2):
        refused = api.delete(f"{DOCS}/d")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "3"
        assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert api.delete(f"{DOCS}/d").status_code == 200


def test_faults_through_the_control_endpoint_and_call_stats(api: httpx.Client) -> None:
    faults = {"http": [{"status": 503, "path": ":import", "count": 1}], "rejectIds": ["b"], "failImports": 0}
    assert api.put("/emulator/faults", json=faults).json()["http"][0]["status"] == 503
    body = {"inlineSource": {"documents": [{"id": "a", "structData": {}}, {"id": "b", "structData": {}}]}}
    assert api.post(f"{DOCS}:import", json=body).status_code == 503
    done = _wait(api, api.post(f"{DOCS}:import", json=body).json())
    assert (done["metadata"]["successCount"], done["metadata"]["failureCount"]) == ("1", "1")
    assert "document b rejected by an injected fault" in done["response"]["errorSamples"][0]["message"]
    assert api.patch(f"{DOCS}/b", params={"allowMissing": "true"}, json={}).status_code == 400
    assert api.delete("/emulator/faults").json()["rejectIds"] == []
    assert api.patch(f"{DOCS}/b", params={"allowMissing": "true"}, json={}).status_code == 200
    stats = api.get("/emulator/stats").json()
    assert stats["calls"]["POST import"] == 2
    assert stats["calls"]["PATCH document"] == 2
    assert api.put("/emulator/faults", json={"nonsense": 1}).status_code == 400


def test_an_import_can_fail_as_a_whole_and_reject_every_nth_document(api: httpx.Client) -> None:
    api.put("/emulator/faults", json={"failImports": 1, "rejectEvery": 3})
    body = {"inlineSource": {"documents": [{"id": f"d{i}", "structData": {}} for i in range(9)]}}
    failed = _wait(api, api.post(f"{DOCS}:import", json=body).json())
    assert failed["error"]["code"] == 13
    assert "response" not in failed
    assert api.get(DOCS).json()["documents"] == []
    partial = _wait(api, api.post(f"{DOCS}:import", json=body).json())
    assert partial["metadata"]["failureCount"] == "3"
    assert len(api.get(DOCS).json()["documents"]) == 6


def test_import_from_gcs_reads_through_the_gcs_emulator(api: httpx.Client, gcs_bucket: str) -> None:
    lines = [json.dumps({"id": f"g{i}", "structData": {"n": i}}) for i in range(250)]
    lines.insert(3, "{broken json")
    lines.insert(7, json.dumps({"structData": {"no": "id"}}))
    _bucket(gcs_bucket).blob("run/upserts.ndjson").upload_from_string("\n".join(lines) + "\n")
    body = {
        "gcsSource": {"inputUris": [f"gs://{gcs_bucket}/run/upserts.ndjson"], "dataSchema": "document"},
        "errorConfig": {"gcsPrefix": f"gs://{gcs_bucket}/run/errors/"},
    }
    done = _wait(api, api.post(f"{DOCS}:import", json=body).json())
    metadata = done["metadata"]
    assert (metadata["successCount"], metadata["failureCount"], metadata["totalCount"]) == ("250", "2", "252")
    messages = [sample["message"] for sample in done["response"]["errorSamples"]]
    assert messages[0].startswith(f"gs://{gcs_bucket}/run/upserts.ndjson line 4: not a JSON document")
    assert messages[1] == f"gs://{gcs_bucket}/run/upserts.ndjson line 8: id is required"
    assert api.get(f"{DOCS}/g249").json()["structData"] == {"n": 249}
    written = _bucket(gcs_bucket).blob("run/errors/errors-00000-of-00001.json").download_as_text()
    assert [json.loads(line)["message"] for line in written.splitlines()] == messages


def test_import_of_a_missing_gcs_file_fails_the_operation(api: httpx.Client, gcs_bucket: str) -> None:
    body = {"gcsSource": {"inputUris": [f"gs://{gcs_bucket}/absent.ndjson"]}}
    done = _wait(api, api.post(f"{DOCS}:import", json=body).json())
    assert done["error"] == {"code": 5, "message": f"input file gs://{gcs_bucket}/absent.ndjson not found"}


def test_fault_flags_parse_and_bad_ones_are_refused() -> None:
    fault = _fault("429:delete:5:0.5")
    assert (fault.status, fault.method, fault.count, fault.retry_after) == (429, "DELETE", 5, 0.5)
    with pytest.raises(Exception, match="expected STATUS"):
        _fault("often")


def test_the_cli_serves_the_emulator_until_terminated(tmp_path: Any) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "runtime", "emulator", "discoveryengine", "--port", "0", "--content-required"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            banner = process.stdout.readline() if process.stdout else ""
            assert banner.startswith("Discovery Engine emulator on http://127.0.0.1:"), banner
            address = banner.rsplit("DISCOVERYENGINE_EMULATOR_HOST=", 1)[1].strip()
            assert httpx.get(f"http://{address}/emulator/dataStores").json() == {"dataStores": []}
            created = httpx.post(
                f"http://{address}{DOCS}",
                params={"documentId": "c"},
                json={"content": {"mimeType": "text/plain", "rawBytes": "aGk="}},
            )
            assert created.status_code == 200, created.text  # --content-required took effect
        finally:
            process.terminate()
            process.wait(timeout=10)
