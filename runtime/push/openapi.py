"""The OpenAPI 3.1 document of the push endpoint. `docs/push-openapi.json` is this document with the default
limits (a drift test keeps them equal); `GET /openapi.json` serves it with the server's own limits."""

from __future__ import annotations

from typing import Any

from runtime.push.limits import Limits

_ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _schemas() -> dict[str, Any]:
    principals = {"type": "array", "items": {"type": "string"}}
    raw_id = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}
    return {
        "Upsert": {
            "type": "object",
            "description": "A source record, mapped like a pulled row by the connector's mapping.",
            "required": ["op", "record"],
            "additionalProperties": False,
            "properties": {"op": {"const": "UPSERT"}, "record": {"type": "object"}},
        },
        "Delete": {
            "type": "object",
            "description": "Delete the document of this record id (refused when the delete policy is never_delete).",
            "required": ["op", "id"],
            "additionalProperties": False,
            "properties": {"op": {"const": "DELETE"}, "id": raw_id},
        },
        "CanonicalDocument": {
            "type": "object",
            "description": "The earlier tool's event: a whole document, used as it is instead of the mapping.",
            "required": ["op", "doc_id"],
            "additionalProperties": False,
            "properties": {
                "op": {"enum": ["UPSERT", "DELETE"]},
                "doc_id": raw_id,
                "title": {"type": "string", "description": "required for UPSERT"},
                "content": {"type": "string", "description": "required for UPSERT"},
                "uri": {"type": ["string", "null"]},
                "mime_type": {"type": "string", "default": "text/plain"},
                "updated_at": {"type": "string", "format": "date-time"},
                "acl_users": principals,
                "acl_groups": principals,
                "metadata": {"type": "object"},
                "checksum": {"type": "string"},
            },
        },
        "Event": {
            "oneOf": [
                {"$ref": "#/components/schemas/Upsert"},
                {"$ref": "#/components/schemas/Delete"},
                {"$ref": "#/components/schemas/CanonicalDocument"},
            ]
        },
        "Accepted": {
            "type": "object",
            "required": ["accepted", "rejected", "errors"],
            "properties": {
                "accepted": {"type": "integer", "description": "events queued durably"},
                "rejected": {"type": "integer"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "reason"],
                        "properties": {
                            "index": {"type": "integer", "description": "the event's position in the body, from 0"},
                            "reason": {"type": "string"},
                        },
                    },
                },
            },
        },
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    }


def openapi_document(limits: Limits) -> dict[str, Any]:
    events_array = {"type": "array", "items": {"$ref": "#/components/schemas/Event"}, "maxItems": limits.max_events}
    accepted = {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}
    replayed = {
        "Idempotent-Replayed": {
            "description": "present (true) when this is the stored answer to an earlier request with this key",
            "schema": {"type": "string"},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gemini-sync push receiver",
            "version": "1",
            "description": (
                "Push events to a rest_push connector. A 202 is sent only after the batch is committed to the"
                " connector's queue and fsynced; `runtime exec` drains the queue into the data store. Limits:"
                f" body {limits.max_body_bytes} bytes, {limits.max_events} events a request, one event"
                f" {limits.max_record_bytes} bytes as JSON, {limits.max_depth} levels of nesting in a record."
            ),
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "the connector's secret (secretRef)"}
            },
            "schemas": _schemas(),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/connectors/{name}/events": {
                "post": {
                    "operationId": "pushEvents",
                    "summary": "Queue UPSERT and DELETE events for a connector",
                    "parameters": [
                        {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": True,
                            "description": (
                                "unique per batch, scoped to the connector; a retry with the same key and body gets"
                                " the first answer, with another body 409"
                            ),
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {
                                            "type": "object",
                                            "required": ["events"],
                                            "additionalProperties": False,
                                            "properties": {"events": events_array},
                                        },
                                        events_array,
                                    ]
                                }
                            },
                            "application/x-ndjson": {
                                "schema": {"type": "string", "description": "one Event (JSON) a line"}
                            },
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "the valid events are queued durably",
                            "content": accepted,
                            "headers": replayed,
                        },
                        "400": _error("no Idempotency-Key, a body that is not JSON or has no events, or too deep"),
                        "401": _error("no bearer token, or one that no connector has"),
                        "403": _error("the token belongs to another connector"),
                        "404": _error("no such connector is served here"),
                        "409": _error("the Idempotency-Key was used with a different body"),
                        "413": _error("over a limit: body size, events a request or one event's size"),
                        "415": _error("a Content-Type other than application/json or application/x-ndjson"),
                        "422": {
                            "description": "every event was rejected; nothing was queued",
                            "content": accepted,
                            "headers": replayed,
                        },
                        "503": _error("the queue cannot take writes now; nothing was queued, retry"),
                    },
                }
            },
            "/healthz": {"get": {"operationId": "health", "security": [], "responses": {"200": {"description": "up"}}}},
            "/readyz": {
                "get": {
                    "operationId": "ready",
                    "security": [],
                    "responses": {"200": {"description": "ready"}, "503": {"description": "a queue is unavailable"}},
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "security": [],
                    "responses": {"200": {"description": "Prometheus text format"}},
                }
            },
        },
    }


def render(limits: Limits | None = None) -> bytes:
    """The document as published in docs/push-openapi.json (sorted keys, two-space indent)."""
    import orjson

    return orjson.dumps(openapi_document(limits or Limits()), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


if __name__ == "__main__":  # python -m runtime.push.openapi docs/push-openapi.json
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_bytes(render())
