"""The Discovery Engine emulator enforces the documented rules (over plain HTTP, as any client would see them)."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest

from runtime.emulator.discoveryengine import BackgroundEmulator, EmulatorConfig
from tests.deliver.emulators import BRANCH

DOCS = f"/v1/{BRANCH}/documents"


def _error(response: httpx.Response, code: int, status: str) -> str:
    assert response.status_code == code, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status
    message: str = body["error"]["message"]
    return message


def _create(api: httpx.Client, document_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return api.post(DOCS, params={"documentId": document_id}, json=body or {"structData": {"t": document_id}})


def _wait(api: httpx.Client, operation: dict[str, Any]) -> tuple[dict[str, Any], int]:
    polls = 0
    while not operation.get("done"):
        polls += 1
        assert polls < 200, operation
        time.sleep(0.01)
        operation = api.get(f"/v1/{operation['name']}").json()
    return operation, polls


def test_create_get_and_the_error_envelope_for_absent_and_duplicate(api: httpx.Client) -> None:
    created = _create(api, "doc-1", {"structData": {"title": "One"}})
    assert created.status_code == 200
    assert created.json() == {"name": f"{BRANCH}/documents/doc-1", "id": "doc-1", "structData": {"title": "One"}}
    assert api.get(f"{DOCS}/doc-1").json()["structData"] == {"title": "One"}
    assert "already exists" in _error(_create(api, "doc-1"), 409, "ALREADY_EXISTS")
    assert "does not exist" in _error(api.get(f"{DOCS}/doc-2"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("document_id", "fragment"),
    [("has space", "not valid"), ("a" * 129, "at most 128"), ("dot.ted", "not valid"), ("", "required")],
)
def test_document_ids_follow_the_id_rules(api: httpx.Client, document_id: str, fragment: str) -> None:
    assert fragment in _error(_create(api, document_id), 400, "INVALID_ARGUMENT")


def test_an_id_of_exactly_128_characters_is_fine(api: httpx.Client) -> None:
    assert _create(api, "a" * 128).status_code == 200


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"structData": {"a": 1}, "jsonData": '{"a": 1}'}, "at most one of structData and jsonData"),
        ({"jsonData": "[1, 2]"}, "jsonData must be a string holding a JSON object"),
        ({"structData": "text"}, "structData must be an object"),
        ({"title": "x"}, 'Unknown name "title"'),
        ({"content": {"mimeType": "text/plain", "rawBytes": "aGk="}}, "content is not allowed"),
        ({"aclInfo": {"readers": [{"principals": [{"email": "a@b"}]}]}}, "exactly one of"),
        ({"aclInfo": {"readers": [{"principals": [{"userId": "a", "groupId": "g"}]}]}}, "exactly one of"),
        ({"aclInfo": {"readers": [{"principals": [], "idpWide": "yes"}]}}, "idpWide must be a boolean"),
        ({"aclInfo": {"readers": {"principals": []}}}, "readers must be a list"),
    ],
)
def test_document_bodies_follow_the_document_rules(api: httpx.Client, body: dict[str, Any], fragment: str) -> None:
    assert fragment in _error(_create(api, "doc", body), 400, "INVALID_ARGUMENT")


def test_acl_info_of_the_documented_shape_is_kept(api: httpx.Client) -> None:
    acl = {
        "readers": [
            {"principals": [{"userId": "a@example.com"}, {"groupId": "hr@example.com"}]},
            {"principals": [{"externalEntityId": "ext-1"}], "idpWide": False},
        ]
    }
    assert _create(api, "doc", {"structData": {}, "aclInfo": acl}).status_code == 200
    assert api.get(f"{DOCS}/doc").json()["aclInfo"] == acl


@pytest.mark.parametrize("de_config", [EmulatorConfig(content_required=True)])
def test_content_rules_in_a_data_store_with_content(api: httpx.Client) -> None:
    raw = base64.b64encode(b"hello").decode()
    assert _create(api, "ok", {"content": {"mimeType": "text/plain", "rawBytes": raw}}).status_code == 200
    assert _create(api, "uri", {"content": {"mimeType": "application/pdf", "uri": "gs://b/x.pdf"}}).status_code == 200
    big = base64.b64encode(b"x" * 1_000_001).decode()
    cases = [
        ({"mimeType": "text/plain", "rawBytes": big}, "at most 1000000"),
        ({"mimeType": "text/plain", "uri": "https://example.com/x"}, "must be a gs:// URI"),
        ({"mimeType": "text/plain"}, "exactly one of rawBytes and uri"),
        ({"rawBytes": raw}, "mimeType is required"),
        ({"mimeType": "text/plain", "rawBytes": "not base64!"}, "not valid base64"),
    ]
    for content, fragment in cases:
        assert fragment in _error(_create(api, "bad", {"content": content}), 400, "INVALID_ARGUMENT")


def test_patch_upserts_only_with_allow_missing_and_delete_is_not_found_when_absent(api: httpx.Client) -> None:
    assert "allowMissing" in _error(api.patch(f"{DOCS}/p1", json={"structData": {"v": 1}}), 404, "NOT_FOUND")
    upserted = api.patch(f"{DOCS}/p1", params={"allowMissing": "true"}, json={"structData": {"v": 1}})
    assert upserted.status_code == 200
    assert api.patch(f"{DOCS}/p1", json={"structData": {"v": 2}}).json()["structData"] == {"v": 2}
    assert "does not match" in _error(api.patch(f"{DOCS}/p1", json={"id": "p2"}), 400, "INVALID_ARGUMENT")
    assert api.delete(f"{DOCS}/p1").json() == {}
    _error(api.delete(f"{DOCS}/p1"), 404, "NOT_FOUND")


def test_list_pages_in_id_order_with_default_and_maximum_page_sizes(api: httpx.Client) -> None:
    for i in range(5):
        assert _create(api, f"d{i}").status_code == 200
    page = api.get(DOCS, params={"pageSize": 2}).json()
    assert [d["id"] for d in page["documents"]] == ["d0", "d1"]
    second = api.get(DOCS, params={"pageSize": 2, "pageToken": page["nextPageToken"]}).json()
    last = api.get(DOCS, params={"pageSize": 2, "pageToken": second["nextPageToken"]}).json()
    assert [d["id"] for d in second["documents"] + last["documents"]] == ["d2", "d3", "d4"]
    assert "nextPageToken" not in last
    _error(api.get(DOCS, params={"pageSize": -1}), 400, "INVALID_ARGUMENT")
    _error(api.get(DOCS, params={"pageToken": "%%%"}), 400, "INVALID_ARGUMENT")


def test_list_caps_page_size_at_1000_and_defaults_to_100(api: httpx.Client) -> None:
    documents = [{"id": f"d{i:05}", "structData": {}} for i in range(100)]
    for start in range(0, 1200, 100):
        batch = [{**d, "id": f"{start}-{d['id']}"} for d in documents]
        op = api.post(f"{DOCS}:import", json={"inlineSource": {"documents": batch}}).json()
        _wait(api, op)
    assert len(api.get(DOCS).json()["documents"]) == 100
    assert len(api.get(DOCS, params={"pageSize": 5000}).json()["documents"]) == 1000


def test_import_is_a_long_running_operation_with_int64_counts_as_strings(api: httpx.Client) -> None:
    documents = [{"id": "a", "structData": {"n": 1}}, {"id": "bad id"}, {"id": "b", "jsonData": '{"n": 2}'}]
    started = api.post(f"{DOCS}:import", json={"inlineSource": {"documents": documents}}).json()
    assert started["done"] is False
    assert started["name"].startswith(f"{BRANCH}/operations/import-documents-")
    done, polls = _wait(api, started)
    assert polls >= 2  # a finished operation still answers done=false on its first poll
    metadata = done["metadata"]
    assert metadata["@type"] == "type.googleapis.com/google.cloud.discoveryengine.v1.ImportDocumentsMetadata"
    assert (metadata["successCount"], metadata["failureCount"], metadata["totalCount"]) == ("2", "1", "3")
    assert done["response"]["@type"] == "type.googleapis.com/google.cloud.discoveryengine.v1.ImportDocumentsResponse"
    [sample] = done["response"]["errorSamples"]
    assert sample["code"] == 3
    assert "inlineSource.documents[1]" in sample["message"]
    assert "'bad id' is not valid" in sample["message"]
    assert api.get(f"{DOCS}/b").json()["jsonData"] == '{"n": 2}'


def test_inline_imports_over_100_documents_are_refused(api: httpx.Client) -> None:
    documents = [{"id": f"d{i}", "structData": {}} for i in range(101)]
    message = _error(
        api.post(f"{DOCS}:import", json={"inlineSource": {"documents": documents}}), 400, "INVALID_ARGUMENT"
    )
    assert "at most 100" in message


@pytest.mark.parametrize("de_config", [EmulatorConfig(strict_inline=False)])
def test_inline_limit_can_be_lenient(api: httpx.Client) -> None:
    documents = [{"id": f"d{i}", "structData": {}} for i in range(101)]
    done, _ = _wait(api, api.post(f"{DOCS}:import", json={"inlineSource": {"documents": documents}}).json())
    assert done["metadata"]["successCount"] == "101"


def test_full_reconciliation_deletes_every_absent_document_incremental_keeps_them(api: httpx.Client) -> None:
    for document_id in ("keep", "gone"):
        _create(api, document_id)
    body: dict[str, Any] = {"inlineSource": {"documents": [{"id": "new", "structData": {}}]}}
    _wait(api, api.post(f"{DOCS}:import", json={**body, "reconciliationMode": "INCREMENTAL"}).json())
    assert sorted(d["id"] for d in api.get(DOCS).json()["documents"]) == ["gone", "keep", "new"]
    body["inlineSource"]["documents"].append({"id": "keep", "structData": {}})
    _wait(api, api.post(f"{DOCS}:import", json={**body, "reconciliationMode": "FULL"}).json())
    assert sorted(d["id"] for d in api.get(DOCS).json()["documents"]) == ["keep", "new"]
    _error(api.post(f"{DOCS}:import", json={**body, "reconciliationMode": "SOME"}), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "exactly one source"),
        ({"inlineSource": {"documents": []}, "gcsSource": {"inputUris": ["gs://b/x"]}}, "exactly one source"),
        ({"gcsSource": {"inputUris": []}}, "non-empty list"),
        ({"gcsSource": {"inputUris": ["/local/file"]}}, "gs:// URIs"),
        ({"gcsSource": {"inputUris": [f"gs://b/{i}" for i in range(101)]}}, "at most 100"),
        ({"gcsSource": {"inputUris": ["gs://b/x"], "dataSchema": "csv"}}, "'document' only"),
        ({"inlineSource": {"documents": []}, "bogus": 1}, 'Unknown name "bogus"'),
    ],
)
def test_import_requests_are_checked_before_an_operation_starts(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    assert fragment in _error(api.post(f"{DOCS}:import", json=body), 400, "INVALID_ARGUMENT")


def test_purge_dry_run_counts_and_samples_without_deleting_and_force_deletes(api: httpx.Client) -> None:
    documents = [{"id": f"d{i:03}", "structData": {}} for i in range(100)]
    for start in (0, 100):
        batch = [{**d, "id": f"{start}-{d['id']}"} for d in documents]
        _wait(api, api.post(f"{DOCS}:import", json={"inlineSource": {"documents": batch}}).json())
    dry, _ = _wait(api, api.post(f"{DOCS}:purge", json={"filter": "*", "force": False}).json())
    assert dry["response"]["purgeCount"] == "200"
    assert len(dry["response"]["purgeSample"]) == 100
    assert dry["response"]["purgeSample"][0] == f"{BRANCH}/documents/0-d000"
    assert len(api.get(DOCS, params={"pageSize": 1000}).json()["documents"]) == 200
    _error(api.post(f"{DOCS}:purge", json={"filter": "id: x", "force": True}), 400, "INVALID_ARGUMENT")
    forced, _ = _wait(api, api.post(f"{DOCS}:purge", json={"filter": "*", "force": True}).json())
    assert forced["response"]["purgeCount"] == "200"
    assert forced["metadata"]["successCount"] == "200"
    assert api.get(DOCS).json()["documents"] == []


def test_the_api_host_must_match_the_location(api: httpx.Client) -> None:
    eu = BRANCH.replace("locations/global", "locations/eu")
    ok = api.get(f"/v1/{eu}/documents", headers={"Host": "eu-discoveryengine.googleapis.com"})
    assert ok.status_code == 200
    wrong = api.get(f"/v1/{eu}/documents", headers={"Host": "discoveryengine.googleapis.com"})
    assert "served by eu-discoveryengine.googleapis.com" in _error(wrong, 400, "INVALID_ARGUMENT")
    assert "not supported" in _error(
        api.get(f"/v1/{BRANCH.replace('global', 'asia')}/documents"), 400, "INVALID_ARGUMENT"
    )
    _error(api.get(f"/v1/{BRANCH.replace('default_branch', 'other')}/documents"), 404, "NOT_FOUND")
    _error(api.get("/v1/projects/p/whatever"), 404, "NOT_FOUND")
    _error(api.get(f"/v1/{BRANCH}/operations/import-documents-999999"), 404, "NOT_FOUND")


def test_invalid_json_is_invalid_argument(api: httpx.Client) -> None:
    response = api.post(
        DOCS, params={"documentId": "x"}, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "Invalid JSON payload" in _error(response, 400, "INVALID_ARGUMENT")


def test_documents_persist_in_a_file_across_restarts(tmp_path: Any) -> None:
    path = tmp_path / "store.json"
    with BackgroundEmulator(EmulatorConfig(persist=path)) as first:
        assert (
            httpx.post(
                f"http://{first.host}{DOCS}", params={"documentId": "kept"}, json={"structData": {"a": 1}}
            ).status_code
            == 200
        )
    with BackgroundEmulator(EmulatorConfig(persist=path)) as second:
        assert httpx.get(f"http://{second.host}{DOCS}/kept").json()["structData"] == {"a": 1}
    with BackgroundEmulator(EmulatorConfig()) as memory_only:
        assert httpx.get(f"http://{memory_only.host}{DOCS}/kept").status_code == 404
