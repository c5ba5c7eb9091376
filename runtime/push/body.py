"""Request bodies: a JSON object with `events`, a JSON array of events, or NDJSON (one event a line).

Whole-body problems (not JSON, wrong shape, over a limit) refuse the request; an NDJSON line that is not JSON
is one rejected event, so the other lines are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime import exact_json
from runtime.push.limits import LimitExceeded, Limits, deeper_than

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})


class BodyError(Exception):
    """The request body cannot be used at all (400 or 415)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BadLine:
    """An NDJSON line that is not JSON: rejected as one event."""

    reason: str


def media_type(content_type: str | None) -> str:
    """`application/json` for a missing header, else the type without parameters, lower-cased."""
    if not content_type:
        return "application/json"
    return content_type.split(";", 1)[0].strip().lower()


def parse_events(body: bytes, content_type: str | None, limits: Limits) -> list[object]:
    """The events of a body, in order: parsed JSON values (or `BadLine` for an unreadable NDJSON line)."""
    kind = media_type(content_type)
    if kind in NDJSON_TYPES:
        events = _ndjson(body)
    elif kind in JSON_TYPES:
        events = _json(body)
    else:
        raise BodyError(
            415,
            f"Content-Type {kind!r} is not accepted; send application/json (an object with 'events', or an array)"
            " or application/x-ndjson (one event a line)",
        )
    if not events:
        raise BodyError(400, "the body holds no events; send at least one")
    if len(events) > limits.max_events:
        raise LimitExceeded(
            413, f"{len(events)} events in one request; the limit is {limits.max_events}: split the batch"
        )
    for index, event in enumerate(events):
        if not isinstance(event, BadLine) and deeper_than(event, limits.max_depth + 1):  # + the event's own level
            raise LimitExceeded(
                400,
                f"event {index} is nested deeper than {limits.max_depth} levels; flatten the record",
            )
    return events


def _json(body: bytes) -> list[object]:
    try:
        data = exact_json.loads(body)
    except ValueError as exc:  # msgspec.DecodeError is a ValueError
        raise BodyError(400, f"the body is not valid JSON: {_why(exc)}") from None
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        events = data.get("events")
        if isinstance(events, list) and set(data) == {"events"}:
            return events
        raise BodyError(400, 'a JSON object body must be {"events": [...]} and nothing else')
    raise BodyError(400, "the body must be a JSON object with 'events', or a JSON array of events")


def _ndjson(body: bytes) -> list[object]:
    events: list[object] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            events.append(exact_json.loads(line))
        except ValueError as exc:
            events.append(BadLine(f"line {number} is not valid JSON: {_why(exc)}"))
    return events


def _why(exc: ValueError) -> str:
    if "recursion" in str(exc).lower() or "nested too deeply" in str(exc):
        return "nested too deeply"
    return str(exc)
