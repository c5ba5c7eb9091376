"""Fidelity: Google's own `google-cloud-discoveryengine` client (REST transport, anonymous credentials) drives the
emulator through get, list, create, delete, import (inline and from GCS) and operations, and reads its errors.

None of this code parses the emulator's JSON: the official client does, into its own protobuf messages, so a
field name, an enum, an int64 count or an error envelope the emulator got wrong fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import discoveryengine_v1 as dev1
from google.cloud import storage
from google.longrunning import operations_pb2

from runtime.emulator.discoveryengine import BackgroundEmulator
from tests.deliver.emulators import BRANCH

Acl = dev1.Document.AclInfo


@pytest.fixture
def client(de: BackgroundEmulator) -> Iterator[dev1.DocumentServiceClient]:
    official = dev1.DocumentServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{de.host}"),
    )
    yield official
    official.transport.close()


def _acl(*users: str, group: str | None = None) -> dev1.Document.AclInfo:
    principals = [dev1.Principal(user_id=u) for u in users] + ([dev1.Principal(group_id=group)] if group else [])
    return Acl(readers=[Acl.AccessRestriction(principals=principals)])


def test_create_get_list_delete(client: dev1.DocumentServiceClient) -> None:
    created = client.create_document(
        parent=BRANCH,
        document=dev1.Document(struct_data={"title": "Ada", "dept": "eng"}, acl_info=_acl("ada@example.com")),
        document_id="emp-1",
    )
    assert created.name == f"{BRANCH}/documents/emp-1"
    assert created.id == "emp-1"
    got = client.get_document(name=f"{BRANCH}/documents/emp-1")
    assert dict(got.struct_data) == {"title": "Ada", "dept": "eng"}
    assert got.acl_info.readers[0].principals[0].user_id == "ada@example.com"
    for i in range(2, 8):
        client.create_document(
            parent=BRANCH, document=dev1.Document(json_data=json.dumps({"n": i})), document_id=f"emp-{i}"
        )
    listed = client.list_documents(request=dev1.ListDocumentsRequest(parent=BRANCH, page_size=3))
    assert [d.id for d in listed] == [f"emp-{i}" for i in range(1, 8)]  # the pager followed nextPageToken
    assert json.loads(client.get_document(name=f"{BRANCH}/documents/emp-5").json_data) == {"n": 5}
    client.delete_document(name=f"{BRANCH}/documents/emp-1")
    with pytest.raises(exceptions.NotFound, match="does not exist"):
        client.get_document(name=f"{BRANCH}/documents/emp-1")
    with pytest.raises(exceptions.NotFound):
        client.delete_document(name=f"{BRANCH}/documents/emp-1")


def test_errors_arrive_as_the_clients_own_exceptions(client: dev1.DocumentServiceClient) -> None:
    client.create_document(parent=BRANCH, document=dev1.Document(struct_data={}), document_id="dup")
    with pytest.raises(exceptions.Conflict, match="already exists"):  # the REST client maps HTTP 409 to Conflict
        client.create_document(parent=BRANCH, document=dev1.Document(struct_data={}), document_id="dup")
    with pytest.raises(exceptions.BadRequest, match="not valid"):
        client.create_document(parent=BRANCH, document=dev1.Document(struct_data={}), document_id="bad.id")
    content = dev1.Document.Content(mime_type="text/plain", raw_bytes=b"hello")
    with pytest.raises(exceptions.BadRequest, match="content is not allowed"):
        client.create_document(parent=BRANCH, document=dev1.Document(content=content), document_id="c1")


def test_update_with_allow_missing_upserts(client: dev1.DocumentServiceClient) -> None:
    document = dev1.Document(name=f"{BRANCH}/documents/u1", struct_data={"v": 1})
    client.update_document(request=dev1.UpdateDocumentRequest(document=document, allow_missing=True))
    assert dict(client.get_document(name=f"{BRANCH}/documents/u1").struct_data) == {"v": 1}


def test_inline_import_and_operation_polling(client: dev1.DocumentServiceClient) -> None:
    documents = [
        dev1.Document(id=f"i{i}", struct_data={"n": i}, acl_info=_acl(group="g@example.com")) for i in range(5)
    ]
    documents.append(dev1.Document(id="not valid"))
    operation = client.import_documents(
        request=dev1.ImportDocumentsRequest(
            parent=BRANCH,
            inline_source=dev1.ImportDocumentsRequest.InlineSource(documents=documents),
            reconciliation_mode=dev1.ImportDocumentsRequest.ReconciliationMode.INCREMENTAL,
        )
    )
    response = operation.result(timeout=30)  # the client polls operations.get until done
    assert isinstance(response, dev1.ImportDocumentsResponse)
    metadata = operation.metadata
    assert (metadata.success_count, metadata.failure_count, metadata.total_count) == (5, 1, 6)
    assert response.error_samples[0].code == 3
    assert "'not valid' is not valid" in response.error_samples[0].message
    fetched = client.get_operation(operations_pb2.GetOperationRequest(name=operation.operation.name))
    assert fetched.done
    assert fetched.name.startswith(f"{BRANCH}/operations/import-documents-")
    assert client.get_document(name=f"{BRANCH}/documents/i4").acl_info.readers[0].principals[0].group_id == (
        "g@example.com"
    )


def test_full_import_from_gcs(client: dev1.DocumentServiceClient, gcs_bucket: str) -> None:
    client.create_document(parent=BRANCH, document=dev1.Document(struct_data={}), document_id="stale")
    lines = "".join(json.dumps({"id": f"g{i}", "structData": {"n": i}}) + "\n" for i in range(120))
    bucket = storage.Client(project="test", credentials=AnonymousCredentials()).bucket(gcs_bucket)
    bucket.blob("runs/r1/upserts.ndjson").upload_from_string(lines)
    operation = client.import_documents(
        request=dev1.ImportDocumentsRequest(
            parent=BRANCH,
            gcs_source=dev1.GcsSource(input_uris=[f"gs://{gcs_bucket}/runs/r1/upserts.ndjson"], data_schema="document"),
            reconciliation_mode=dev1.ImportDocumentsRequest.ReconciliationMode.FULL,
        )
    )
    operation.result(timeout=30)
    assert operation.metadata.success_count == 120
    assert len(list(client.list_documents(parent=BRANCH))) == 120  # FULL removed "stale"


def test_a_failed_operation_raises_from_result(client: dev1.DocumentServiceClient, de: BackgroundEmulator) -> None:
    de.emulator.faults.fail_imports = 1
    operation = client.import_documents(
        request=dev1.ImportDocumentsRequest(
            parent=BRANCH,
            inline_source=dev1.ImportDocumentsRequest.InlineSource(documents=[dev1.Document(id="x")]),
        )
    )
    with pytest.raises(exceptions.GoogleAPICallError, match="injected fault"):
        operation.result(timeout=30)


def test_purge_dry_run(client: dev1.DocumentServiceClient) -> None:
    for i in range(3):
        client.create_document(parent=BRANCH, document=dev1.Document(struct_data={}), document_id=f"p{i}")
    operation = client.purge_documents(request=dev1.PurgeDocumentsRequest(parent=BRANCH, filter="*", force=False))
    response = operation.result(timeout=30)
    assert response.purge_count == 3
    assert list(response.purge_sample) == [f"{BRANCH}/documents/p{i}" for i in range(3)]
    assert len(list(client.list_documents(parent=BRANCH))) == 3
