"""Reconciliation pass: the delete policy, the delete guard (defaults filled in) and the soft-delete marks.

The guard refuses a run that would delete more than `max_delete_percent` of the known documents or more than
`max_delete_count` of them, unless fewer than `min_population` documents are known. Each limit can be set per
connector under `spec.reconciliation.deleteGuard`.
"""

from __future__ import annotations

from compiler.lower.draft import Draft
from compiler.plan import DeleteGuard, Reconciliation

DEFAULT_MAX_DELETE_PERCENT = 20.0
DEFAULT_MAX_DELETE_COUNT = 10_000
DEFAULT_MIN_POPULATION = 100

SOFT_DELETE_FLAG_FIELD = "sync_deleted"
"""structData field set to true on a soft-deleted document (cleared when the record reappears)."""
SOFT_DELETE_TIME_FIELD = "sync_deleted_at"
"""structData field holding when the document was soft-deleted (RFC 3339, UTC)."""


def lower_reconciliation(draft: Draft) -> Draft:
    settings = draft.spec["reconciliation"]
    guard = settings.get("deleteGuard") or {}
    return draft.replace(
        reconciliation=Reconciliation(
            delete_policy=settings["deletePolicy"],
            delete_guard=DeleteGuard(
                max_delete_percent=float(guard.get("maxDeletePercent", DEFAULT_MAX_DELETE_PERCENT)),
                max_delete_count=int(guard.get("maxDeleteCount", DEFAULT_MAX_DELETE_COUNT)),
                min_population=int(guard.get("minPopulation", DEFAULT_MIN_POPULATION)),
            ),
            soft_delete_flag_field=SOFT_DELETE_FLAG_FIELD,
            soft_delete_time_field=SOFT_DELETE_TIME_FIELD,
        )
    )
