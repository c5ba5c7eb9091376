"""The receiver's HTTP endpoints on Starlette.

    POST /v1/connectors/{name}/events   push events (see openapi.py for the contract)
    GET  /healthz                       the process is up
    GET  /readyz                        every queue can take writes (503 while one cannot)
    GET  /metrics                       Prometheus text format
    GET  /openapi.json                  the OpenAPI document

Order of the checks on a push: token (401), connector (404), token's connector (403), Idempotency-Key (400),
Content-Type (415), body size (413), a stored answer for the key (replay or 409), the body (400/413), then each
event at the door. A 202 is sent only after the events and the key's answer are committed and fsynced.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compiler.plan import Plan
from runtime.push.auth import Tokens
from runtime.push.body import BadLine, BodyError, parse_events
from runtime.push.door import Door, QueuedEvent, RecordTooLarge, Rejected
from runtime.push.limits import LimitExceeded, Limits
from runtime.push.metrics import PushMetrics
from runtime.push.openapi import openapi_document
from runtime.push.writer import QueueFailure, QueueWriter, Submission

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True, slots=True)
class ServedConnector:
    plan: Plan
    door: Door
    writer: QueueWriter


class _Refused(Exception):
    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, dict(headers or {})


def _json(status: int, data: object, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


class PushReceiver:
    def __init__(self, connectors: Mapping[str, ServedConnector], tokens: Tokens, limits: Limits) -> None:
        self.connectors, self.tokens, self.limits = connectors, tokens, limits
        self.metrics = PushMetrics({name: c.writer.depth for name, c in connectors.items()})
        self._openapi = orjson.dumps(openapi_document(limits))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/connectors/{name}/events", self.events, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/readyz", self.readyz, methods=["GET"]),
                Route("/metrics", self.prometheus, methods=["GET"]),
                Route("/openapi.json", self.openapi, methods=["GET"]),
            ]
        )

    async def healthz(self, request: Request) -> Response:
        return _json(200, {"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        down = {name: c.writer.failed or "stopped" for name, c in self.connectors.items() if not c.writer.alive}
        if down:
            return _json(503, {"status": "unavailable", "queues": down})
        return _json(200, {"status": "ready", "connectors": sorted(self.connectors)})

    async def prometheus(self, request: Request) -> Response:
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def openapi(self, request: Request) -> Response:
        return Response(self._openapi, media_type="application/json")

    async def events(self, request: Request) -> Response:
        started = time.perf_counter()
        name = str(request.path_params["name"])
        label = name if name in self.connectors else "-"  # arbitrary names must not make new series
        try:
            response = await self._events(request, name)
        except _Refused as refused:
            response = _json(refused.status, {"error": refused.reason}, refused.headers)
        except Exception as exc:  # a bug: one line in the log and in the answer, never a traceback or a secret
            reason = f"internal error: {type(exc).__name__}; nothing of this request was queued (this is a bug)"
            print(f"runtime serve: {reason}: {exc}", file=sys.stderr)
            response = _json(500, {"error": reason})
        self.metrics.requests.labels(label, str(response.status_code)).inc()
        self.metrics.latency.labels(label).observe(time.perf_counter() - started)
        return response

    async def _events(self, request: Request, name: str) -> Response:
        who = self.tokens.identify(request.headers.get("authorization"))
        if who is None:
            raise _Refused(
                401,
                "missing or unknown bearer token; send 'Authorization: Bearer <token>' with the connector's secret",
                {"WWW-Authenticate": 'Bearer realm="gemini-sync"'},
            )
        connector = self.connectors.get(name)
        if connector is None:
            raise _Refused(404, f"no connector {name!r} is served here")
        if who != name:
            raise _Refused(403, f"this token is not valid for connector {name!r}; use that connector's own secret")
        key = request.headers.get("idempotency-key")
        if key is None or not IDEMPOTENCY_KEY.match(key):
            raise _Refused(
                400, "an Idempotency-Key header is required: 1-255 visible ASCII characters, unique per batch"
            )
        body = await self._body(request)
        digest = hashlib.sha256(body).hexdigest()
        stored = connector.writer.stored(key)
        if stored is not None:
            if stored.body_sha256 != digest:
                raise _Refused(409, _conflict(key))
            return Response(
                stored.response,
                status_code=stored.status,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        queued, errors = self._check(connector.door, body, request.headers.get("content-type"))
        status = 202 if queued else 422
        answer_body = orjson.dumps({"accepted": len(queued), "rejected": len(errors), "errors": errors})
        try:
            answer = await asyncio.wrap_future(
                connector.writer.submit(Submission(key, digest, queued, status, answer_body))
            )
        except QueueFailure as failure:
            raise _Refused(
                503, f"{failure}; nothing of this request was queued, retry it", {"Retry-After": "1"}
            ) from None
        if answer.conflict:
            raise _Refused(409, _conflict(key))
        if answer.replayed:
            return Response(
                answer.response,
                status_code=answer.status,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        self.metrics.accepted.labels(name).inc(len(queued))
        self.metrics.rejected.labels(name).inc(len(errors))
        return Response(answer.response, status_code=answer.status, media_type="application/json")

    async def _body(self, request: Request) -> bytes:
        limit = self.limits.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Refused(413, f"the body is {declared} bytes; the limit is {limit}: split the batch")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _Refused(413, f"the body is over {limit} bytes, the limit: split the batch")
            chunks.append(chunk)
        return b"".join(chunks)

    def _check(
        self, door: Door, body: bytes, content_type: str | None
    ) -> tuple[list[QueuedEvent], list[dict[str, object]]]:
        try:
            events = parse_events(body, content_type, self.limits)
        except (BodyError, LimitExceeded) as exc:
            raise _Refused(exc.status, exc.reason) from None
        queued: list[QueuedEvent] = []
        errors: list[dict[str, object]] = []
        for index, event in enumerate(events):
            if isinstance(event, BadLine):
                errors.append({"index": index, "reason": event.reason})
                continue
            try:
                queued.append(door.check(event))
            except RecordTooLarge as exc:
                raise _Refused(413, f"event {index}: {exc.reason}") from None
            except Rejected as exc:
                errors.append({"index": index, "reason": exc.reason})
        return queued, errors


def _conflict(key: str) -> str:
    return (
        f"Idempotency-Key {key!r} was already used with a different body; a retry must resend the same body,"
        " a new batch needs a new key"
    )
