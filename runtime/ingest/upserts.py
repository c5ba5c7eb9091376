"""Upserts: one GCS import of the run's artifact, or inline imports of at most 100 documents, always INCREMENTAL.

Which documents failed: an import operation reports only counts and a sample of error messages, which do not
reliably name documents. So when an import reports failures (or accounts for fewer documents than were sent),
its documents are sent again in a finer grain until every failure has a name: a failed GCS import is re-sent as
inline imports of 100; the documents of an inline import with failures are written one at a time
(`PATCH ...?allowMissing=true`, an upsert whose error names the document and the reason). Upserts are
idempotent, so re-sending documents that had arrived is harmless. An import reporting more than
`isolate_limit` failures is not taken apart: all its documents stay pending and the run says why.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from runtime.ingest import FailedDocument
from runtime.ingest.api import Api, ApiError
from runtime.ingest.lines import documents
from runtime.ingest.operations import ImportOutcome, import_outcome, wait
from runtime.ingest.pool import run_all


class Upserts:
    def __init__(self, api: Api, branch: str) -> None:
        self.api, self.branch = api, branch
        self.failed: list[FailedDocument] = []
        self.notes: list[str] = []
        self.imports = 0
        self._lock = threading.Lock()

    def _import(self, body: dict[str, Any], what: str) -> ImportOutcome:
        body = {**body, "reconciliationMode": "INCREMENTAL"}  # never FULL: our own diff decides deletes
        started = self.api.call("POST", f"{self.branch}/documents:import", body=body)
        with self._lock:
            self.imports += 1
        return import_outcome(wait(self.api, started, what))

    def from_gcs(self, uri: str, local: Path, count: int) -> None:
        outcome = self._import({"gcsSource": {"inputUris": [uri], "dataSchema": "document"}}, f"import {uri}")
        if outcome.failure == 0 and outcome.success == count:
            return
        self._note(outcome, count, uri)
        if outcome.failure > self.api.settings.isolate_limit:
            self._all_pending(local, outcome)
            return
        self.inline(local)

    def inline(self, local: Path) -> None:
        s = self.api.settings
        run_all(documents(local, s.inline_batch), self._inline_batch, s.write_concurrency)

    def _inline_batch(self, batch: list[dict[str, Any]]) -> None:
        outcome = self._import({"inlineSource": {"documents": batch}}, f"inline import of {len(batch)}")
        if outcome.failure == 0 and outcome.success == len(batch):
            return
        if outcome.failure > self.api.settings.isolate_limit:
            self._pending(batch, outcome)
            return
        for document in batch:  # one at a time: a batch is small, and its failures are the exception
            self._write_one(document)

    def _write_one(self, document: dict[str, Any]) -> None:
        document_id = document["id"]
        body = {key: value for key, value in document.items() if key != "id"}
        try:
            self.api.call(
                "PATCH",
                f"{self.branch}/documents/{quote(document_id, safe='')}",
                params={"allowMissing": "true"},
                body=body,
            )
        except ApiError as error:
            with self._lock:
                self.failed.append(FailedDocument(id=document_id, operation="upsert", reason=error.message))

    def _note(self, outcome: ImportOutcome, count: int, where: str) -> None:
        first = f"; first error: {outcome.error_samples[0]}" if outcome.error_samples else ""
        self.notes.append(  # from_gcs only: one thread
            f"{where}: the import reported {outcome.success} imported and {outcome.failure} failed of {count}"
            f"{first}; finding which documents failed"
        )

    def _all_pending(self, local: Path, outcome: ImportOutcome) -> None:
        for batch in documents(local, 10_000):
            self._pending(batch, outcome)

    def _pending(self, batch: list[dict[str, Any]], outcome: ImportOutcome) -> None:
        first = outcome.error_samples[0] if outcome.error_samples else "no error sample"
        reason = (
            f"the import reported {outcome.failure} failures (more than the isolate limit"
            f" {self.api.settings.isolate_limit}; first: {first}); kept pending"
        )
        with self._lock:
            self.failed.extend(FailedDocument(id=d["id"], operation="upsert", reason=reason) for d in batch)
