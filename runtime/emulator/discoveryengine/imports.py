"""`documents:import`: the request's rules, then the import itself (run by a worker thread).

Inline: `{"inlineSource": {"documents": [...]}}`, at most `inline_limit` documents (the API recommends 100; a
setting). GCS: `{"gcsSource": {"inputUris": [...], "dataSchema": "document"}}`, at most 100 files, one Document
JSON per line with `id` required, read through the official storage client (so `STORAGE_EMULATOR_HOST` reaches a
GCS emulator). `reconciliationMode` INCREMENTAL (default) upserts; FULL also deletes every document absent from
the import. A document that breaks a rule is a failure (`failureCount`, `errorSamples`); the others are imported.
With `errorConfig.gcsPrefix`, every error is also written there, one JSON google.rpc.Status per line.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runtime.emulator.discoveryengine.documents import check_document, check_id
from runtime.emulator.discoveryengine.errors import ApiError, invalid
from runtime.emulator.discoveryengine.faults import Faults
from runtime.emulator.discoveryengine.operations import Operation
from runtime.emulator.discoveryengine.state import DataStore, State

MAX_INPUT_URIS = 100
MAX_ERROR_SAMPLES = 100
_CHUNK = 1000
_MODES = {None: "INCREMENTAL", 0: "INCREMENTAL", 1: "INCREMENTAL", 2: "FULL", "INCREMENTAL": "INCREMENTAL"}
_MODES["FULL"] = "FULL"
_MODES["RECONCILIATION_MODE_UNSPECIFIED"] = "INCREMENTAL"
_KEYS = {"inlineSource", "gcsSource", "reconciliationMode", "errorConfig", "updateMask", "autoGenerateIds", "idField"}


@dataclass(frozen=True, slots=True)
class ImportRequest:
    inline: list[Any] | None
    uris: tuple[str, ...]
    full: bool
    error_prefix: str | None


def parse_request(body: object, *, inline_limit: int, strict_inline: bool) -> ImportRequest:
    """The request's shape, or INVALID_ARGUMENT before any operation exists."""
    if not isinstance(body, dict):
        raise invalid("the import request must be a JSON object")
    unknown = set(body) - _KEYS
    if unknown:
        raise invalid(f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at 'import request'")
    if body.get("autoGenerateIds") or body.get("idField"):
        raise ApiError("UNIMPLEMENTED", "autoGenerateIds and idField are not supported by the emulator")
    mode = body.get("reconciliationMode")
    if mode not in _MODES:
        raise invalid(f"reconciliationMode {mode!r} is not one of INCREMENTAL, FULL")
    error_prefix = None
    if "errorConfig" in body:
        prefix = body["errorConfig"].get("gcsPrefix") if isinstance(body["errorConfig"], dict) else None
        if not isinstance(prefix, str) or not prefix.startswith("gs://"):
            raise invalid("errorConfig.gcsPrefix must be a gs:// prefix")
        error_prefix = prefix
    has_inline, has_gcs = "inlineSource" in body, "gcsSource" in body
    if has_inline == has_gcs:
        raise invalid("set exactly one source: inlineSource or gcsSource")
    full = _MODES[mode] == "FULL"
    if has_inline:
        documents = body["inlineSource"].get("documents") if isinstance(body["inlineSource"], dict) else None
        if not isinstance(documents, list):
            raise invalid("inlineSource.documents must be a list")
        if strict_inline and len(documents) > inline_limit:
            raise invalid(
                f"inlineSource has {len(documents)} documents; at most {inline_limit} per request (import larger"
                " sets from Cloud Storage with gcsSource)"
            )
        return ImportRequest(inline=documents, uris=(), full=full, error_prefix=error_prefix)
    source = body["gcsSource"]
    if not isinstance(source, dict) or set(source) - {"inputUris", "dataSchema"}:
        raise invalid("gcsSource must be {inputUris: [...], dataSchema: 'document'}")
    if source.get("dataSchema", "document") not in ("document", ""):
        raise invalid(f"gcsSource.dataSchema {source.get('dataSchema')!r}: the emulator supports 'document' only")
    uris = source.get("inputUris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) and u.startswith("gs://") for u in uris):
        raise invalid("gcsSource.inputUris must be a non-empty list of gs:// URIs")
    if len(uris) > MAX_INPUT_URIS:
        raise invalid(f"gcsSource.inputUris has {len(uris)} files; at most {MAX_INPUT_URIS}")
    return ImportRequest(inline=None, uris=tuple(uris), full=full, error_prefix=error_prefix)


def _blob(uri: str) -> Any:
    from runtime.deliver.gcs import parse_gs_uri, storage_client

    bucket, name = parse_gs_uri(uri)
    return storage_client().bucket(bucket).blob(name)


def _gcs_lines(uris: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    for uri in uris:
        # Downloaded whole to a temp file first (streamed, checksummed): reading lines through `blob.open()`
        # makes many small ranged requests and is ~100 x slower.
        with tempfile.TemporaryFile() as copy:
            _blob(uri).download_to_file(copy, checksum="crc32c")
            copy.seek(0)
            for number, line in enumerate(copy, start=1):
                if not line.strip():
                    continue
                try:
                    yield f"{uri} line {number}", json.loads(line)
                except ValueError as exc:
                    yield f"{uri} line {number}", ApiError("INVALID_ARGUMENT", f"not a JSON document: {exc}")


def _documents(request: ImportRequest) -> Iterator[tuple[str, object]]:
    if request.inline is not None:
        for index, document in enumerate(request.inline):
            yield f"inlineSource.documents[{index}]", document
    else:
        yield from _gcs_lines(request.uris)


def _missing_inputs(uris: tuple[str, ...]) -> list[str]:
    return [uri for uri in uris if not _blob(uri).exists()]


def run_import(state: State, faults: Faults, store: DataStore, request: ImportRequest, op: Operation) -> None:
    """Import the documents, counting into `op`, then finish it. Never raises: errors end the operation."""
    try:
        _import(state, faults, store, request, op)
    except Exception as exc:  # e.g. the GCS emulator is gone: the operation fails, as a real one would
        op.finish(error={"code": 13, "message": f"import failed: {type(exc).__name__}: {exc}"})


def _import(state: State, faults: Faults, store: DataStore, request: ImportRequest, op: Operation) -> None:
    with state.lock:
        failed_whole = faults.take_import_failure()
    if failed_whole:
        op.finish(error={"code": 13, "message": "injected fault: the import failed as a whole"})
        return
    missing = _missing_inputs(request.uris)
    if missing:
        op.finish(error={"code": 5, "message": f"input file {missing[0]} not found"})
        return
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    valid: list[dict[str, Any]] = []

    def flush() -> None:
        with state.lock:
            for document in valid:
                store.put(document)
            state.changed()
        op.count("successCount", len(valid))
        valid.clear()

    for where, document in _documents(request):
        op.count("totalCount")
        try:
            if isinstance(document, ApiError):
                raise document
            document_id = check_id(document.get("id") if isinstance(document, dict) else None, "id")
            with state.lock:
                rejection = faults.rejection(document_id, in_import=True)
            if rejection:
                raise ApiError("INVALID_ARGUMENT", rejection)
            valid.append(check_document(document, document_id=document_id, content_required=store.content_required))
            seen.add(document_id)
        except ApiError as error:
            op.count("failureCount")
            sample = error.rpc_status()
            sample["message"] = f"{where}: {sample['message']}"
            errors.append(sample)
        if len(valid) >= _CHUNK:
            flush()
    flush()
    if request.full:
        with state.lock:
            for document_id in [i for i in store.documents if i not in seen]:
                store.remove(document_id)
            state.changed()
    if request.error_prefix and errors:
        _write_errors(request.error_prefix, errors)
    response: dict[str, Any] = {"errorSamples": errors[:MAX_ERROR_SAMPLES]}
    if request.error_prefix:
        response["errorConfig"] = {"gcsPrefix": request.error_prefix}
    op.finish(response=response)


def _write_errors(prefix: str, errors: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(error, sort_keys=True) + "\n" for error in errors)
    _blob(prefix.rstrip("/") + "/errors-00000-of-00001.json").upload_from_string(text, content_type="application/json")
