"""Waiting for a long-running operation: poll `GET /v1/{name}` with growing pauses until `done`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from runtime.ingest.api import Api
from runtime.ingest.errors import DeliveryError


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    name: str
    success: int
    failure: int
    total: int
    error_samples: tuple[str, ...]


def _count(metadata: dict[str, Any], name: str) -> int:
    """int64 counts arrive as JSON strings ("10"); absent means 0."""
    try:
        return int(metadata.get(name, 0) or 0)
    except (TypeError, ValueError):
        raise DeliveryError(f"operation metadata {name}={metadata.get(name)!r} is not a count") from None


def wait(api: Api, operation: dict[str, Any], what: str) -> dict[str, Any]:
    """The finished operation; DeliveryError when it ends with an error or does not finish in time."""
    s = api.settings
    deadline = time.monotonic() + s.import_timeout
    pause = s.poll_initial
    while not operation.get("done"):
        if time.monotonic() > deadline:
            raise DeliveryError(
                f"{what}: operation {operation.get('name')} not done after {s.import_timeout:g} s; nothing was"
                " committed (raise GEMINI_SYNC_DE_IMPORT_TIMEOUT if imports are this slow)"
            )
        time.sleep(pause)
        pause = min(pause * 1.5, s.poll_max)
        operation = api.call("GET", str(operation["name"]))
    if "error" in operation:
        error = operation["error"]
        raise DeliveryError(
            f"{what}: operation {operation.get('name')} failed: {error.get('message', error)} (code"
            f" {error.get('code')}); nothing was committed, the next run sends everything again"
        )
    return operation


def import_outcome(operation: dict[str, Any]) -> ImportOutcome:
    metadata = operation.get("metadata") or {}
    samples = (operation.get("response") or {}).get("errorSamples") or []
    return ImportOutcome(
        name=str(operation.get("name")),
        success=_count(metadata, "successCount"),
        failure=_count(metadata, "failureCount"),
        total=_count(metadata, "totalCount"),
        error_samples=tuple(str(s.get("message", s)) for s in samples),
    )
