"""Explicit deletes: one `DELETE` per document, at most `delete_concurrency` in flight and `delete_rate` started
per second. A 404 means the document is already gone: done."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from runtime.ingest import FailedDocument
from runtime.ingest.api import Api, ApiError
from runtime.ingest.lines import documents
from runtime.ingest.pool import Pacer, run_all


def _ids(path: Path) -> Iterator[str]:
    for batch in documents(path, 10_000):
        for document in batch:
            yield document["id"]


class Deletes:
    def __init__(self, api: Api, branch: str) -> None:
        self.api, self.branch = api, branch
        self.deleted = 0
        self.already_gone = 0
        self.failed: list[FailedDocument] = []
        self._pacer = Pacer(api.settings.delete_rate)
        self._lock = threading.Lock()

    def run(self, path: Path) -> None:
        run_all(_ids(path), self._delete, self.api.settings.delete_concurrency)

    def _delete(self, document_id: str) -> None:
        self._pacer.wait()
        try:
            self.api.call("DELETE", f"{self.branch}/documents/{quote(document_id, safe='')}")
        except ApiError as error:
            with self._lock:
                if error.http_status == 404:
                    self.already_gone += 1
                    self.deleted += 1
                else:
                    self.failed.append(FailedDocument(id=document_id, operation="delete", reason=error.message))
            return
        with self._lock:
            self.deleted += 1
