"""Explicit deletes: one `DELETE` per document, at most `delete_concurrency` in flight and `delete_rate` started
per second (an `aiolimiter` leaky bucket). A 404 means the document is already gone: done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from aiolimiter import AsyncLimiter

from runtime.ingest import FailedDocument
from runtime.ingest.api import Api, ApiError
from runtime.ingest.lines import documents
from runtime.ingest.upserts import pool


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
        rate = api.settings.delete_rate
        self._limiter = AsyncLimiter(rate, 1.0) if rate > 0 else None

    async def run(self, path: Path) -> None:
        await pool(_ids(path), self._delete, self.api.settings.delete_concurrency)

    async def _delete(self, document_id: str) -> None:
        if self._limiter is not None:
            await self._limiter.acquire()
        try:
            await self.api.call("DELETE", f"{self.branch}/documents/{quote(document_id, safe='')}")
        except ApiError as error:
            if error.http_status == 404:
                self.already_gone += 1
                self.deleted += 1
                return
            self.failed.append(FailedDocument(id=document_id, operation="delete", reason=error.message))
            return
        self.deleted += 1
