"""The commit protocol of a run's artifacts, written once over `ObjectStore` (file:// and gs:// alike).

A run's folder is `runs/<run_id>/` under the connector's prefix. Run ids sort by time (`runtime.run.new_run_id`),
and a new run's id is always greater than the last committed one.

    1. publish      upserts.ndjson, deletes.ndjson, then manifest.json (the manifest names every file with its
                    SHA-256 and line count; it is written last, so a folder with a manifest has all its files)
    2. deliver      (when ingestion is enabled) import into the data store
    3. commit       the connector's state, in one transaction
    4. mark         runs/<run_id>/_COMMITTED: the run is committed; without it the folder is not a run

A reader (our importer, or anyone) takes a folder as a run only if it holds `_COMMITTED`; replaying every
committed folder in run-id order yields the source. A crash can leave two things, which the next run repairs
before it does anything else (`recover`, under the connector's lock):
    - a folder newer than the last committed run: it never committed (crash before 3) -> removed;
    - the last committed run without its marker (crash between 3 and 4) -> the marker is written.
A stop (SIGTERM, SIGINT) before 3 removes the run's folder on the way out; steps 3 and 4 finish before a stop.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.deliver.store import ObjectStore

MARKER = "_COMMITTED"
MANIFEST = "manifest.json"
MARKER_VERSION = 1
_AFTER_EVERY_FILE = "\x7f"  # sorts after every character of our file names: `runs/<id>/\x7f` ends a run's keys

CONTENT_TYPES = {".ndjson": "application/x-ndjson", ".json": "application/json", ".csv": "text/csv"}


def run_prefix(run_id: str) -> str:
    return f"runs/{run_id}/"


def _run_of(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "runs" and parts[1] else None


@dataclass(slots=True)
class PublishedRun:
    """A run's files in the store, not yet committed: `retract` takes them back."""

    store: ObjectStore
    run_id: str

    @property
    def uri(self) -> str:
        return self.store.uri(run_prefix(self.run_id)).rstrip("/")

    def key_uri(self, name: str) -> str:
        return self.store.uri(run_prefix(self.run_id) + name)

    def retract(self) -> None:
        self.store.delete_prefix(run_prefix(self.run_id))

    def upload(self, folder: Path, names: Sequence[str]) -> None:
        """Upload the run's files (`names`, in `folder`), the manifest last. Raises StateError; then `retract`."""
        for name in [n for n in names if n != MANIFEST] + [MANIFEST]:
            self.store.put_file(run_prefix(self.run_id) + name, folder / name, content_type=_content_type(name))


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


def marker_bytes(run_id: str, details: dict[str, Any]) -> bytes:
    body = {
        "markerVersion": MARKER_VERSION,
        "runId": run_id,
        "committedAt": datetime.datetime.now(datetime.UTC).isoformat(),
        **details,
    }
    return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()


def mark_committed(store: ObjectStore, run_id: str, details: dict[str, Any]) -> None:
    """Write the run's `_COMMITTED` marker (after the state commit)."""
    store.put_bytes(run_prefix(run_id) + MARKER, marker_bytes(run_id, details), content_type="application/json")


def is_committed(store: ObjectStore, run_id: str) -> bool:
    return store.get_bytes(run_prefix(run_id) + MARKER) is not None


def committed_runs(store: ObjectStore) -> list[str]:
    """Run ids with a marker, oldest first (what a replaying reader imports)."""
    runs: list[str] = []
    for key in store.list("runs/"):
        run = _run_of(key)
        if run is not None and key == run_prefix(run) + MARKER:
            runs.append(run)
    return runs


def recover(store: ObjectStore, last_committed: str | None, last_details: dict[str, Any]) -> list[str]:
    """Repair what a crash left; returns notes for the run report (see the module docstring)."""
    notes: list[str] = []
    if last_committed is not None and not is_committed(store, last_committed):
        has_files = any(True for _ in store.list(run_prefix(last_committed)))
        if has_files:
            mark_committed(store, last_committed, {**last_details, "recovered": True})
            notes.append(f"run {last_committed} was committed but not marked (a crash); its marker was written")
    start = run_prefix(last_committed) + _AFTER_EVERY_FILE if last_committed else ""
    for run in _distinct_runs(store.list("runs/", start_after=start)):
        store.delete_prefix(run_prefix(run))
        notes.append(f"removed the artifacts of run {run}, which never committed (a crash or a stop)")
    return notes


def recover_legacy(store: ObjectStore, committed: dict[str, str]) -> list[str]:
    """Once, for a state written before markers existed: mark every committed run, remove the others."""
    notes: list[str] = []
    runs = list(_distinct_runs(store.list("runs/")))
    for run in runs:
        if run in committed:
            if not is_committed(store, run):
                mark_committed(store, run, {"recovered": True, "legacy": True})
        else:
            store.delete_prefix(run_prefix(run))
            notes.append(f"removed the artifacts of run {run}, which the state never committed")
    return notes


def _distinct_runs(keys: Iterable[str]) -> Iterable[str]:
    seen: str | None = None
    for key in keys:
        run = _run_of(key)
        if run is not None and run != seen:
            seen = run
            yield run


def publish_latest(store: ObjectStore, folder: Path, names: Sequence[str]) -> None:
    """Copy a committed run's files under `latest/` (for consumers that read "the newest export"); the manifest,
    which names the run, is written last."""
    for name in [n for n in names if n != MANIFEST] + [MANIFEST]:
        store.put_file("latest/" + name, folder / name, content_type=_content_type(name))
