"""The emulator's HTTP surface (Starlette): `/v1/...` as the API, `/emulator/...` to control it.

API calls: documents get, list, create, patch, delete; documents:import and documents:purge (long-running
operations); operations get. Each call first passes the host/location check and the fault injector.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.emulator.discoveryengine.config import EmulatorConfig
from runtime.emulator.discoveryengine.documents import check_document, check_id, render
from runtime.emulator.discoveryengine.errors import ApiError, invalid, not_found
from runtime.emulator.discoveryengine.faults import Faults
from runtime.emulator.discoveryengine.imports import parse_request, run_import
from runtime.emulator.discoveryengine.names import Resource, check_host, parse
from runtime.emulator.discoveryengine.operations import Operation, new_operation
from runtime.emulator.discoveryengine.state import DataStore, State

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PURGE_SAMPLE = 100


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return _json(error.envelope(), error.http_status, headers)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid(f"Invalid JSON payload received. {exc}") from None


_TOKEN_PREFIX = "after:"


def _page_after(token: str) -> str:
    """The last id of the previous page, from an opaque page token (refused unless it is one of ours)."""
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith(_TOKEN_PREFIX):
        raise invalid("invalid pageToken; pass the nextPageToken of the previous page unchanged")
    return text[len(_TOKEN_PREFIX) :]


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() in ("true", "1")


class Emulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.state = State(content_required_default=config.content_required, persist=config.persist)
        self.state.load()
        self.faults: Faults = config.faults
        self.operations: dict[str, Operation] = {}
        self.calls: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()

    # --- the API ------------------------------------------------------------------------------------------

    async def api(self, request: Request) -> Response:
        path = request.path_params["path"]
        method = request.method
        try:
            resource = parse(path)
            if resource is None:
                raise not_found(f"no such API resource: /v1/{path}")
            self.calls[f"{method} {resource.kind}"] += 1
            check_host(request.headers.get("host", ""), resource.location)
            with self.state.lock:
                fault = self.faults.take_http(method, f"/v1/{path}")
            if fault is not None:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
                return _error(fault.error(), headers)
            return await self._dispatch(request, method, resource)
        except ApiError as error:
            return _error(error)

    async def _dispatch(self, request: Request, method: str, resource: Resource) -> Response:
        key = (resource.kind, method)
        if key == ("operation", "GET"):
            return self._get_operation(resource)
        with self.state.lock:
            store = self.state.data_store(resource.data_store)
        if key == ("documents", "GET"):
            return self._list(request, resource, store)
        if key == ("documents", "POST"):
            return self._create(resource, store, request.query_params.get("documentId"), await _body(request))
        if key == ("document", "GET"):
            return self._get(resource, store)
        if key == ("document", "PATCH"):
            return self._patch(resource, store, _flag(request, "allowMissing"), await _body(request))
        if key == ("document", "DELETE"):
            return self._delete(resource, store)
        if key == ("import", "POST"):
            return self._import(resource, store, await _body(request))
        if key == ("purge", "POST"):
            return self._purge(resource, store, await _body(request))
        raise ApiError("UNIMPLEMENTED", f"{method} is not supported on {resource.kind}", http_status=405)

    def _get(self, resource: Resource, store: DataStore) -> Response:
        document_id = check_id(resource.leaf)
        with self.state.lock:
            document = store.documents.get(document_id)
        if document is None:
            raise not_found(f"document {resource.branch}/documents/{document_id} does not exist")
        return _json(render(document, resource.branch))

    def _list(self, request: Request, resource: Resource, store: DataStore) -> Response:
        try:
            size = int(request.query_params.get("pageSize", "0") or 0)
        except ValueError:
            raise invalid("pageSize must be an integer") from None
        if size < 0:
            raise invalid("pageSize must not be negative")
        size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        token = request.query_params.get("pageToken", "")
        after = _page_after(token) if token else ""
        with self.state.lock:
            documents, next_after = store.page(after, size)
            body: dict[str, Any] = {"documents": [render(d, resource.branch) for d in documents]}
        if next_after is not None:
            body["nextPageToken"] = base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{next_after}".encode()).decode()
        return _json(body)

    def _write(self, store: DataStore, body: object, document_id: str) -> dict[str, Any]:
        with self.state.lock:
            rejection = self.faults.rejection(document_id, in_import=False)
        if rejection:
            raise invalid(rejection)
        return check_document(body, document_id=document_id, content_required=store.content_required)

    def _create(self, resource: Resource, store: DataStore, document_id: str | None, body: object) -> Response:
        document_id = check_id(document_id, "documentId")
        document = self._write(store, body, document_id)
        with self.state.lock:
            if document_id in store.documents:
                raise ApiError("ALREADY_EXISTS", f"document {resource.branch}/documents/{document_id} already exists")
            store.put(document)
            self.state.changed()
        return _json(render(document, resource.branch))

    def _patch(self, resource: Resource, store: DataStore, allow_missing: bool, body: object) -> Response:
        document_id = check_id(resource.leaf)
        document = self._write(store, body, document_id)
        with self.state.lock:
            if document_id not in store.documents and not allow_missing:
                raise not_found(
                    f"document {resource.branch}/documents/{document_id} does not exist (set allowMissing=true to"
                    " create it)"
                )
            store.put(document)
            self.state.changed()
        return _json(render(document, resource.branch))

    def _delete(self, resource: Resource, store: DataStore) -> Response:
        document_id = check_id(resource.leaf)
        with self.state.lock:
            if not store.remove(document_id):
                raise not_found(f"document {resource.branch}/documents/{document_id} does not exist")
            self.state.changed()
        return _json({})

    def _import(self, resource: Resource, store: DataStore, body: object) -> Response:
        request = parse_request(body, inline_limit=self.config.inline_limit, strict_inline=self.config.strict_inline)
        op = new_operation(resource.branch, "ImportDocuments", ("successCount", "failureCount", "totalCount"))
        with self.state.lock:
            self.operations[op.name] = op
        worker = threading.Thread(
            target=run_import, args=(self.state, self.faults, store, request, op), name=op.name, daemon=True
        )
        worker.start()
        return _json(op.render(self.config.polls_until_done, poll=False))

    def _purge(self, resource: Resource, store: DataStore, body: object) -> Response:
        if not isinstance(body, dict) or set(body) - {"filter", "force", "gcsSource", "inlineSource", "errorConfig"}:
            raise invalid("the purge request must be {filter: '*', force: bool}")
        if body.get("gcsSource") or body.get("inlineSource"):
            raise ApiError("UNIMPLEMENTED", "purge by gcsSource or inlineSource is not supported by the emulator")
        if body.get("filter") != "*":
            raise invalid(f"filter {body.get('filter')!r} is not supported; purge takes filter '*' (every document)")
        force = bool(body.get("force", False))
        op = new_operation(resource.branch, "PurgeDocuments", ("successCount", "failureCount", "ignoredCount"))
        with self.state.lock:
            ids = sorted(store.documents)
            response: dict[str, Any] = {"purgeCount": str(len(ids))}
            if force:
                for document_id in ids:
                    store.remove(document_id)
                self.state.changed()
                op.count("successCount", len(ids))
            else:
                response["purgeSample"] = [f"{resource.branch}/documents/{i}" for i in ids[:MAX_PURGE_SAMPLE]]
            self.operations[op.name] = op
        op.finish(response=response)
        return _json(op.render(self.config.polls_until_done, poll=False))

    def _get_operation(self, resource: Resource) -> Response:
        name = f"{resource.branch}/operations/{resource.leaf}"
        with self.state.lock:
            op = self.operations.get(name)
            if op is None:
                raise not_found(f"operation {name} does not exist")
            return _json(op.render(self.config.polls_until_done, poll=True))

    # --- control ------------------------------------------------------------------------------------------

    async def control(self, request: Request) -> Response:
        what, method = request.path_params["what"], request.method
        try:
            body = await _body(request) if method in ("PUT", "POST") else None
            with self.state.lock:
                if (what, method) == ("health", "GET"):
                    return _json({"ok": True})
                if (what, method) == ("faults", "GET"):
                    return _json(self.faults.to_json())
                if (what, method) == ("faults", "PUT"):
                    replacement = Faults.from_json(body)
                    self.faults.__dict__.update(replacement.__dict__)
                    return _json(self.faults.to_json())
                if (what, method) == ("faults", "DELETE"):
                    self.faults.__dict__.update(Faults().__dict__)
                    return _json(self.faults.to_json())
                if (what, method) == ("stats", "GET"):
                    return _json({"calls": dict(sorted(self.calls.items())), "total": sum(self.calls.values())})
                if (what, method) == ("dataStores", "GET"):
                    return _json({"dataStores": [self._describe(s) for s in self.state.data_stores.values()]})
                if (what, method) == ("dataStores", "POST"):
                    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
                        raise invalid("expected {name: 'projects/.../dataStores/ds', contentRequired: bool}")
                    store = self.state.data_store(body["name"], content_required=bool(body.get("contentRequired")))
                    store.content_required = bool(body.get("contentRequired"))
                    return _json(self._describe(store))
                if (what, method) == ("reset", "POST"):
                    self.state.data_stores.clear()
                    self.state.changed()
                    self.operations.clear()
                    self.calls.clear()
                    self.faults.__dict__.update(Faults().__dict__)
                    return _json({})
            raise not_found(f"no such control endpoint: {method} /emulator/{what}")
        except ApiError as error:
            return _error(error)

    @staticmethod
    def _describe(store: DataStore) -> dict[str, Any]:
        return {"name": store.name, "contentRequired": store.content_required, "documentCount": len(store.documents)}

    # --- lifecycle ----------------------------------------------------------------------------------------

    def _saver(self) -> None:
        while not self._stop.wait(1.0):
            self.state.save()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        saver = threading.Thread(target=self._saver, name="emulator-saver", daemon=True)
        if self.state.persist is not None:
            saver.start()
        try:
            yield
        finally:
            self._stop.set()
            self.state.save()


def create_app(config: EmulatorConfig | None = None) -> tuple[Starlette, Emulator]:
    emulator = Emulator(config or EmulatorConfig())
    app = Starlette(
        routes=[
            Route("/v1/{path:path}", emulator.api, methods=["GET", "POST", "PATCH", "DELETE"]),
            Route("/emulator/{what}", emulator.control, methods=["GET", "POST", "PUT", "DELETE"]),
        ],
        lifespan=emulator.lifespan,
    )
    return app, emulator
