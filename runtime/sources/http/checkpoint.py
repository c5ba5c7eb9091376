"""The source's watermark handling: what the requests send, and whether the run is a complete snapshot.

A snapshot plan never sends a checkpoint, and its result is complete. An incremental plan sends the committed
checkpoint as the connector declares (`watermarkParam` in the query, or `watermarkBodyField` in the POST body),
exactly as the source wrote it (the boundary is inclusive: records at the checkpoint come again and the diff finds
them unchanged); its result never proves a deletion. Without a checkpoint yet (the first run), nothing is sent and
everything is read once, still not a complete snapshot.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from compiler.plan import HttpSource, Plan
from runtime.errors import ConfigError
from runtime.state.watermark import Watermark

_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_TEXT_TYPES = ("VARCHAR", "TIMESTAMP", "DATE", "TIME", "UUID", "JSON")


@dataclass(frozen=True, slots=True)
class RequestCheckpoint:
    params: tuple[tuple[str, str], ...]
    """Query parameters of every computed page request."""
    body: bytes | None
    """The request body (POST): the payload, with the checkpoint at watermarkBodyField when sent."""
    complete: bool


def _json_value(checkpoint: Watermark) -> Any:
    """The checkpoint as a JSON value: a number when the source's values were numbers, else its text."""
    if not checkpoint.type.startswith(_TEXT_TYPES) and _JSON_NUMBER.fullmatch(checkpoint.text):
        return json.loads(checkpoint.text)
    return checkpoint.text


def _with_field(payload: Any, path: str, value: Any, plan: str) -> Any:
    if not isinstance(payload, dict):
        payload = {}
    node = payload
    parts = path.split(".")
    for index, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            crossed = ".".join(parts[: index + 1])
            raise ConfigError(
                f"plan {plan}: watermarkBodyField {path!r} runs through {crossed!r}, which is not an object in "
                "the payload; change the payload or watermarkBodyField"
            )
        node = child
    node[parts[-1]] = value
    return payload


def request_checkpoint(plan: Plan, source: HttpSource, checkpoint: Watermark | None) -> RequestCheckpoint:
    sending = plan.extraction.kind == "incremental" and checkpoint is not None
    params: tuple[tuple[str, str], ...] = ()
    body = None if source.body_json is None else source.body_json.encode()
    if sending and checkpoint is not None:
        if source.watermark_param is not None:
            params = ((source.watermark_param, checkpoint.text),)
        if source.watermark_body_field is not None:
            payload = json.loads(source.body_json) if source.body_json is not None else {}
            payload = _with_field(payload, source.watermark_body_field, _json_value(checkpoint), plan.name)
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return RequestCheckpoint(params=params, body=body, complete=plan.extraction.kind == "snapshot")
