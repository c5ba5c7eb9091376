"""The delete circuit breaker: stop a run that would remove too much of the data store.

Limits come from the plan (`reconciliation.delete_guard`): a count and a percent of the known live documents,
not applied below `min_population` known documents. Soft deletes count too. An empty extraction from a source
that had documents always trips it, whatever the floor: that is how a broken query or a permissions change looks.
"""

from __future__ import annotations

from compiler.plan import DeleteGuard
from runtime.errors import DeleteGuardTripped
from runtime.reconcile.diff import Changes

OVERRIDE = "--allow-mass-delete"


def check_delete_guard(guard: DeleteGuard, changes: Changes, *, allow: bool) -> None:
    """Raise DeleteGuardTripped when the run exceeds the guard and `allow` is not set."""
    deletions, population = changes.deletions, changes.known
    if deletions == 0 or allow:
        return
    verb = "soft-delete" if changes.soft_deleted and not changes.deleted else "delete"
    if changes.snapshot and changes.extracted == 0 and population > 0:
        raise DeleteGuardTripped(
            f"delete guard: the source returned no records but {population} documents are known; this run would"
            f" {verb} all {deletions} of them. Nothing was changed. Check the source (query, API, folder) and its"
            f" permissions; if it is really empty, rerun with {OVERRIDE}"
        )
    if population < guard.min_population:
        return
    percent = 100.0 * deletions / population
    if deletions > guard.max_delete_count or percent > guard.max_delete_percent:
        raise DeleteGuardTripped(
            f"delete guard: this run would {verb} {deletions} of {population} known documents ({percent:.1f}%),"
            f" over the limit of {guard.max_delete_percent:g}% or {guard.max_delete_count} documents"
            f" (applies from {guard.min_population} known documents). Nothing was changed. If this is"
            f" intended, rerun with {OVERRIDE}"
        )
