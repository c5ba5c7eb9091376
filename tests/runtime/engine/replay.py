"""Read a bucket as any consumer would: only runs with a `_COMMITTED` marker, in run order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runtime.deliver.publish import committed_runs, run_prefix
from runtime.deliver.store import FileStore


def replay(base: Path) -> dict[str, dict[str, Any]]:
    """The data store a consumer that imports every committed run, in order, ends up with."""
    store = FileStore(base)
    documents: dict[str, dict[str, Any]] = {}
    for run in committed_runs(store):
        upserts = store.get_bytes(run_prefix(run) + "upserts.ndjson") or b""
        for line in upserts.decode().splitlines():
            doc = json.loads(line)
            documents[doc["id"]] = doc
        deletes = store.get_bytes(run_prefix(run) + "deletes.ndjson") or b""
        for line in deletes.decode().splitlines():
            documents.pop(json.loads(line)["id"], None)
    return documents


def run_folders(base: Path) -> set[str]:
    runs = base / "runs"
    return {p.name for p in runs.iterdir()} if runs.exists() else set()
