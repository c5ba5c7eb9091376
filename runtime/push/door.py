"""Each pushed event checked at the door, through the connector's mapping, so a bad record is refused with its
index and reason now instead of failing the next run.

Two event shapes are accepted:
  new        {"op": "UPSERT", "record": {...}}  |  {"op": "DELETE", "id": "..."}
  canonical  the earlier tool's whole document: {"doc_id", "title", "content", "uri", "mime_type", "updated_at",
             "acl_users", "acl_groups", "metadata", "checksum", "op"}; queued as {"__document": {...}}, which the
             engine uses as the document instead of the field mapping.
The same checks run again when `runtime exec` drains the queue (the plan may have changed since): an event that
fails then goes to the dead-letter table instead of blocking the queue.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from compiler.plan import Plan, Template
from runtime import exact_json
from runtime.errors import MappingError
from runtime.map.jinja import render_jinja_columns
from runtime.map.paths import lookup
from runtime.sources.base import DOCUMENT_KEY, json_records

Op = Literal["UPSERT", "DELETE"]
OPS: tuple[Op, ...] = ("UPSERT", "DELETE")

CANONICAL_FIELDS = frozenset(
    {"doc_id", "title", "content", "uri", "mime_type", "updated_at", "acl_users", "acl_groups", "metadata"}
    | {"checksum", "op"}
)
NEW_UPSERT_FIELDS = frozenset({"op", "record"})
NEW_DELETE_FIELDS = frozenset({"op", "id"})


class Rejected(Exception):
    """One event refused at the door; `reason` says why and how to fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An accepted event as it is queued: the record's JSON text (UPSERT) and its raw id."""

    op: Op
    raw_id: str
    record: bytes | None


def raw_id_of(value: object, what: str) -> str:
    """The id as text: a non-empty string as it is, an integer in decimal. Anything else is refused."""
    if isinstance(value, str):
        if not value:
            raise Rejected(f"{what} is empty; every document needs an id")
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise Rejected(f"{what} is missing; every document needs an id")
    raise Rejected(f"{what} must be a string or an integer, not {_json_type(value)}")


def _principals_ok(value: object) -> bool:
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class Door:
    """The checks for one plan; `check(event)` gives the queued event or raises Rejected."""

    def __init__(self, plan: Plan, max_record_bytes: int) -> None:
        self.plan = plan
        self.max_record_bytes = max_record_bytes
        mapping = plan.mapping
        self.jinja: tuple[tuple[str, Template], ...] = tuple(
            (role, t) for role, t in (("content", mapping.content), ("uri", mapping.uri)) if t and t.kind == "jinja"
        )
        self.acl_fields = tuple(f for f in (mapping.acl_users_field, mapping.acl_groups_field) if f)
        reconciliation = plan.reconciliation
        self.reserved = frozenset(
            {"title", "uri", reconciliation.soft_delete_flag_field, reconciliation.soft_delete_time_field}
        )
        self.deletes_refused = reconciliation.delete_policy == "never_delete"

    def check(self, event: object) -> QueuedEvent:
        if not isinstance(event, dict):
            raise Rejected(f"an event must be a JSON object, not {_json_type(event)}")
        op = event.get("op")
        if op not in OPS:
            raise Rejected(f'\'op\' must be "UPSERT" or "DELETE", not {_short(op)}')
        if op == "DELETE" and self.deletes_refused:
            raise Rejected(
                f"DELETE is refused: connector {self.plan.name} has deletePolicy never_delete; send UPSERT events"
                " only, or change the delete policy to soft_delete_only or auto_delete_missing"
            )
        if "doc_id" in event:
            return self._canonical(event, op)
        if op == "DELETE":
            _only(event, NEW_DELETE_FIELDS, "a DELETE event")
            return QueuedEvent("DELETE", raw_id_of(event.get("id"), "'id'"), None)
        _only(event, NEW_UPSERT_FIELDS, "an UPSERT event")
        record = event.get("record")
        if not isinstance(record, dict):
            raise Rejected(f"'record' must be a JSON object, not {_json_type(record)}")
        raw_id = self.check_record(record)
        return QueuedEvent("UPSERT", raw_id, self._sized(record))

    def check_record(self, record: Mapping[str, Any]) -> str:
        """Map a source record as the engine will: its id, its principals and its Jinja templates."""
        id_field = self.plan.mapping.id.field
        raw_id = raw_id_of(lookup(record, id_field), f"the id field {id_field!r}")
        for field in self.acl_fields:
            if not _principals_ok(lookup(record, field)):
                raise Rejected(
                    f"record {raw_id!r}: the ACL field {field!r} must be a list of strings or a comma-separated string"
                )
        if self.jinja:
            # The engine's own renderer (sandboxed, strict undefined) on this one record: the door and the run
            # cannot disagree about a template.
            table = pa.Table.from_batches([json_records([exact_json.dumps(record)])])
            try:
                render_jinja_columns(table, self.jinja, id_field, json_records=True)
            except MappingError as exc:
                raise Rejected(str(exc)) from None
        return raw_id

    def check_document(self, document: Mapping[str, Any]) -> str:
        """A canonical document (UPSERT) as queued: every field of the right type."""
        raw_id = raw_id_of(document.get("doc_id"), "'doc_id'")
        for name in ("title", "content"):
            if not isinstance(document.get(name), str):
                raise Rejected(f"document {raw_id!r}: {name!r} must be a string")
        for name in ("uri", "mime_type", "checksum"):
            if document.get(name) is not None and not isinstance(document[name], str):
                raise Rejected(f"document {raw_id!r}: {name!r} must be a string")
        for name in ("acl_users", "acl_groups"):
            value = document.get(name)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise Rejected(f"document {raw_id!r}: {name!r} must be a list of strings")
        updated = document.get("updated_at")
        if updated is not None and not _is_iso_time(updated):
            raise Rejected(f"document {raw_id!r}: 'updated_at' must be an ISO-8601 time, e.g. 2024-05-01T12:00:00Z")
        metadata = document.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise Rejected(f"document {raw_id!r}: 'metadata' must be a JSON object")
            clash = sorted(self.reserved & set(metadata))
            if clash:
                raise Rejected(
                    f"document {raw_id!r}: metadata key {clash[0]!r} is reserved for the document itself; rename it"
                )
        return raw_id

    def _canonical(self, event: Mapping[str, Any], op: Op) -> QueuedEvent:
        _only(event, CANONICAL_FIELDS, "a canonical document event")
        if op == "DELETE":
            return QueuedEvent("DELETE", raw_id_of(event.get("doc_id"), "'doc_id'"), None)
        raw_id = self.check_document(event)
        document = {key: value for key, value in event.items() if key != "op"}
        document.setdefault("mime_type", "text/plain")
        return QueuedEvent("UPSERT", raw_id, self._sized({DOCUMENT_KEY: document}))

    def _sized(self, record: object) -> bytes:
        text = exact_json.dumps(record)
        if len(text) > self.max_record_bytes:
            raise RecordTooLarge(
                f"the record is {len(text)} bytes as JSON; the limit is {self.max_record_bytes}: move large content"
                " out of the event"
            )
        return text


class RecordTooLarge(Rejected):
    """Over the record size limit: refuses the whole request (413), since the limit is the sender's contract."""


def check_queued(door: Door, op: Op, record: bytes | str | None) -> str | None:
    """At drain time: why a queued UPSERT would fail the mapping now (None when it maps). DELETEs always pass."""
    if op == "DELETE" or record is None:
        return None
    try:
        parsed = exact_json.loads(record)
        document = parsed.get(DOCUMENT_KEY) if isinstance(parsed, dict) else None
        if isinstance(document, dict):
            door.check_document(document)
        elif isinstance(parsed, dict):
            door.check_record(parsed)
        else:
            return "the queued record is not a JSON object"
    except Rejected as rejected:
        return rejected.reason
    except ValueError as exc:
        return f"the queued record is not valid JSON: {exc}"
    return None


def _only(event: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(event) - allowed)
    if unknown:
        raise Rejected(f"{what} has no field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _is_iso_time(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(value: object) -> str:
    text = exact_json.dumps(value).decode() if value is not None else "missing"
    return text if len(text) <= 40 else text[:37] + "..."
