"""Diff the staged snapshot against the state, apply the delete policy, and guard against mass deletes."""

from runtime.reconcile.diff import Changes, check_duplicates, diff
from runtime.reconcile.guard import check_delete_guard

__all__ = ["Changes", "check_delete_guard", "check_duplicates", "diff"]
