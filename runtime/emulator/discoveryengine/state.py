"""What the emulator holds: data stores (created on first use), their documents, and operations.

One lock guards everything: request handlers and import workers (threads) both change it. Documents live for
the life of the process, or in a JSON file when `persist` is set (loaded at start, saved at most once a second
after a change and at shutdown; operations are not saved).
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DataStore:
    name: str
    content_required: bool
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    _sorted: list[str] | None = None

    def put(self, document: dict[str, Any]) -> None:
        if document["id"] not in self.documents:
            self._sorted = None
        self.documents[document["id"]] = document

    def remove(self, document_id: str) -> bool:
        if self.documents.pop(document_id, None) is None:
            return False
        self._sorted = None
        return True

    def page(self, after: str, size: int) -> tuple[list[dict[str, Any]], str | None]:
        """Documents in id order after `after`; the next page's start, or None on the last page."""
        if self._sorted is None:
            self._sorted = sorted(self.documents)
        start = bisect.bisect_right(self._sorted, after) if after else 0
        ids = self._sorted[start : start + size]
        more = start + size < len(self._sorted)
        return [self.documents[i] for i in ids], (ids[-1] if more and ids else None)


@dataclass
class State:
    content_required_default: bool
    persist: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    data_stores: dict[str, DataStore] = field(default_factory=dict)
    dirty: bool = False

    def data_store(self, name: str, *, content_required: bool | None = None) -> DataStore:
        """The data store `name`, created on first use (content required per the emulator's flag)."""
        store = self.data_stores.get(name)
        if store is None:
            required = self.content_required_default if content_required is None else content_required
            store = self.data_stores[name] = DataStore(name=name, content_required=required)
            self.dirty = True
        return store

    def changed(self) -> None:
        self.dirty = True

    def load(self) -> None:
        if self.persist is None or not self.persist.exists():
            return
        data = json.loads(self.persist.read_text(encoding="utf-8"))
        for name, saved in data.get("dataStores", {}).items():
            store = DataStore(name=name, content_required=bool(saved.get("contentRequired")))
            store.documents = dict(saved.get("documents", {}))
            self.data_stores[name] = store

    def save(self) -> None:
        """Write the file whole (temp file + rename), if there is one and anything changed."""
        if self.persist is None:
            return
        with self.lock:
            if not self.dirty:
                return
            data = {
                "dataStores": {
                    name: {"contentRequired": store.content_required, "documents": store.documents}
                    for name, store in self.data_stores.items()
                }
            }
            text = json.dumps(data, sort_keys=True)
            self.dirty = False
        self.persist.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.persist.parent, prefix=f".{self.persist.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, self.persist)
