"""The rules a Document must follow (the v1 `Document` message, as JSON with lowerCamelCase names).

id: letters, digits, `-` and `_`, at most 128 characters. At most one of `structData` (an object) and `jsonData`
(a string holding a JSON object). `content` is `{mimeType, rawBytes}` (base64, at most 1,000,000 bytes) or
`{mimeType, uri}` (`gs://` only), allowed only in a data store created with content required. `aclInfo.readers[]`
entries are `{principals: [{userId} | {groupId} | {externalEntityId}], idpWide}`. Unknown fields are refused, as
the API's JSON parser refuses them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from runtime.emulator.discoveryengine.errors import invalid

MAX_ID_LENGTH = 128
MAX_RAW_BYTES = 1_000_000
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
_FIELDS = {
    "name",
    "id",
    "schemaId",
    "structData",
    "jsonData",
    "parentDocumentId",
    "content",
    "aclInfo",
    "derivedStructData",
    "indexTime",
    "indexStatus",
}
_PRINCIPAL_KEYS = {"userId", "groupId", "externalEntityId"}
_MIME = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def check_id(document_id: object, where: str = "document id") -> str:
    if not isinstance(document_id, str) or not document_id:
        raise invalid(f"{where} is required")
    if len(document_id) > MAX_ID_LENGTH:
        raise invalid(f"{where} {document_id[:40]!r}... is {len(document_id)} characters; at most {MAX_ID_LENGTH}")
    if not ID_PATTERN.match(document_id):
        raise invalid(f"{where} {document_id!r} is not valid: use letters, digits, '-' and '_' only (RFC-1034 style)")
    return document_id


def _check_content(content: object, content_required: bool, document_id: str) -> dict[str, Any]:
    if not content_required:
        raise invalid(
            f"document {document_id}: content is not allowed in a data store created without content"
            " (contentConfig NO_CONTENT); send structData or jsonData only, or use a data store with content"
        )
    if not isinstance(content, dict):
        raise invalid(f"document {document_id}: content must be an object")
    unknown = set(content) - {"mimeType", "rawBytes", "uri"}
    if unknown:
        raise invalid(f'document {document_id}: unknown name "{sorted(unknown)[0]}" in content')
    mime = content.get("mimeType")
    if not isinstance(mime, str) or not _MIME.match(mime):
        raise invalid(f"document {document_id}: content.mimeType is required (e.g. text/plain)")
    has_raw, has_uri = "rawBytes" in content, "uri" in content
    if has_raw == has_uri:
        raise invalid(f"document {document_id}: content needs exactly one of rawBytes and uri")
    if has_raw:
        raw = content["rawBytes"]
        try:
            data = base64.b64decode(raw if isinstance(raw, str) else "", validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"document {document_id}: content.rawBytes is not valid base64") from None
        if not isinstance(raw, str):
            raise invalid(f"document {document_id}: content.rawBytes must be a base64 string")
        if len(data) > MAX_RAW_BYTES:
            raise invalid(
                f"document {document_id}: content.rawBytes is {len(data)} bytes; at most {MAX_RAW_BYTES}"
                " (store larger content in gs:// and send content.uri)"
            )
    else:
        uri = content["uri"]
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            raise invalid(f"document {document_id}: content.uri must be a gs:// URI")
    return dict(content)


def _check_acl(acl: object, document_id: str) -> dict[str, Any]:
    if not isinstance(acl, dict) or set(acl) - {"readers"}:
        raise invalid(f"document {document_id}: aclInfo must be {{readers: [...]}}")
    readers = acl.get("readers", [])
    if not isinstance(readers, list):
        raise invalid(f"document {document_id}: aclInfo.readers must be a list")
    for index, reader in enumerate(readers):
        where = f"document {document_id}: aclInfo.readers[{index}]"
        if not isinstance(reader, dict) or set(reader) - {"principals", "idpWide"}:
            raise invalid(f"{where} must be {{principals: [...], idpWide: bool}}")
        if not isinstance(reader.get("idpWide", False), bool):
            raise invalid(f"{where}.idpWide must be a boolean")
        principals = reader.get("principals", [])
        if not isinstance(principals, list):
            raise invalid(f"{where}.principals must be a list")
        for position, principal in enumerate(principals):
            if (
                not isinstance(principal, dict)
                or len(principal) != 1
                or not set(principal) <= _PRINCIPAL_KEYS
                or not isinstance(next(iter(principal.values())), str)
                or not next(iter(principal.values()))
            ):
                raise invalid(
                    f"{where}.principals[{position}] must be exactly one of"
                    " {userId: ...}, {groupId: ...}, {externalEntityId: ...}, a non-empty string"
                )
    return dict(acl)


def check_document(body: object, *, document_id: str, content_required: bool) -> dict[str, Any]:
    """The stored form of a valid document (output-only fields dropped), or INVALID_ARGUMENT."""
    if not isinstance(body, dict):
        raise invalid(f"document {document_id}: the document must be a JSON object")
    unknown = set(body) - _FIELDS
    if unknown:
        raise invalid(f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at 'document'")
    if body.get("id") not in (None, "", document_id):
        raise invalid(f"document {document_id}: id {body['id']!r} does not match the document name")
    stored: dict[str, Any] = {"id": document_id}
    if "structData" in body and "jsonData" in body:
        raise invalid(f"document {document_id}: set at most one of structData and jsonData")
    if "structData" in body:
        if not isinstance(body["structData"], dict):
            raise invalid(f"document {document_id}: structData must be an object")
        stored["structData"] = body["structData"]
    if "jsonData" in body:
        text = body["jsonData"]
        try:
            parsed = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise invalid(f"document {document_id}: jsonData must be a string holding a JSON object")
        stored["jsonData"] = text
    if "content" in body:
        stored["content"] = _check_content(body["content"], content_required, document_id)
    if "aclInfo" in body:
        stored["aclInfo"] = _check_acl(body["aclInfo"], document_id)
    for name in ("schemaId", "parentDocumentId"):
        if name in body:
            if not isinstance(body[name], str):
                raise invalid(f"document {document_id}: {name} must be a string")
            stored[name] = body[name]
    return stored


def render(stored: dict[str, Any], branch: str) -> dict[str, Any]:
    """A stored document as the API returns it (with its full `name`)."""
    return {"name": f"{branch}/documents/{stored['id']}", **stored}
