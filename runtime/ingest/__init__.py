"""Delivery of a run's documents into its Discovery Engine data store (the contract the engine calls).

The engine (`runtime.run`) publishes a run's artifacts first, then calls a `Deliver` with a `DeliveryRequest`,
then commits state only for what the `DeliveryResult` says arrived: a document in `failed` stays pending and is
sent again by the next run. A delivery that cannot be trusted at all (the import operation failed as a whole,
credentials refused, retries exhausted) raises a `runtime.errors.RuntimeFailure`: nothing is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from compiler.plan import Plan


@dataclass(frozen=True, slots=True)
class DeliveryRequest:
    plan: Plan
    run_id: str
    upserts: Path
    """Local NDJSON: one Discovery Engine Document per line (soft deletes are here too, as updates)."""
    upserts_uri: str
    """The same file in the artifact store: a `gs://` URI allows a GCS import; `file://` means inline batches."""
    upserts_count: int
    deletes: Path
    """Local NDJSON: `{"id": ...}` per line, documents to delete."""
    deletes_count: int


@dataclass(frozen=True, slots=True)
class FailedDocument:
    id: str
    operation: Literal["upsert", "delete"]
    reason: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    upserted: int
    deleted: int
    failed: tuple[FailedDocument, ...] = ()
    calls: int = 0
    notes: tuple[str, ...] = ()


class Deliver(Protocol):
    def __call__(self, request: DeliveryRequest, /) -> DeliveryResult: ...


__all__ = ["Deliver", "DeliveryRequest", "DeliveryResult", "FailedDocument"]
