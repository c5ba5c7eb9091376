"""Long-running operations (import, purge): created running, finished by a worker, polled with GET.

An operation answers `done: false` to its first `polls_until_done` GETs even when its work is finished, so a
client must really poll. Counts are int64 and travel as JSON strings, as in the API.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Any

TYPE_PREFIX = "type.googleapis.com/google.cloud.discoveryengine.v1."
_ids = itertools.count(1)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Operation:
    name: str
    kind: str
    """`ImportDocuments` or `PurgeDocuments`: the metadata and response message names."""
    counters: dict[str, int] = field(default_factory=dict)
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)
    finished: bool = False
    polls: int = 0
    error: dict[str, Any] | None = None
    response: dict[str, Any] = field(default_factory=dict)

    def count(self, name: str, by: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + by
        self.updated = _now()

    def finish(self, *, response: dict[str, Any] | None = None, error: dict[str, Any] | None = None) -> None:
        self.response = response or {}
        self.error = error
        self.finished = True
        self.updated = _now()

    def render(self, polls_until_done: int, *, poll: bool) -> dict[str, Any]:
        if poll:
            self.polls += 1
        done = self.finished and self.polls > polls_until_done
        metadata: dict[str, Any] = {
            "@type": f"{TYPE_PREFIX}{self.kind}Metadata",
            "createTime": self.created,
            "updateTime": self.updated,
        }
        metadata.update({name: str(value) for name, value in self.counters.items()})
        body: dict[str, Any] = {"name": self.name, "metadata": metadata, "done": done}
        if done:
            if self.error is not None:
                body["error"] = self.error
            else:
                body["response"] = {"@type": f"{TYPE_PREFIX}{self.kind}Response", **self.response}
        return body


def new_operation(branch: str, kind: str, counters: tuple[str, ...]) -> Operation:
    prefix = "import-documents" if kind == "ImportDocuments" else "purge-documents"
    return Operation(name=f"{branch}/operations/{prefix}-{next(_ids)}", kind=kind, counters=dict.fromkeys(counters, 0))
