"""Reading a run's NDJSON files a batch at a time (never the whole file in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from runtime.ingest.errors import DeliveryError


def documents(path: Path, batch: int) -> Iterator[list[dict[str, Any]]]:
    """Lists of at most `batch` parsed lines."""
    chunk: list[dict[str, Any]] = []
    with open(path, "rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise DeliveryError(f"{path} line {number}: not JSON ({exc}); the artifact is damaged") from None
            if not isinstance(document, dict) or not isinstance(document.get("id"), str):
                raise DeliveryError(f"{path} line {number}: a document needs an 'id'; the artifact is damaged")
            chunk.append(document)
            if len(chunk) >= batch:
                yield chunk
                chunk = []
    if chunk:
        yield chunk
