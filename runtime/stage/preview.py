"""What a dry run shows: a few document ids per kind of change (like `terraform plan`)."""

from __future__ import annotations

import duckdb

from runtime.reconcile.diff import DOC_STATUS

PREVIEW_IDS = 10


def preview(con: duckdb.DuckDBPyConnection, policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for status in ("new", "changed", "restored"):
        rows = con.execute(
            f"SELECT id FROM ({DOC_STATUS}) WHERE status = ? ORDER BY id LIMIT ?", [status, PREVIEW_IDS]
        ).fetchall()
        found[status] = [str(row[0]) for row in rows]
    gone = [str(row[0]) for row in con.execute("SELECT id FROM missing ORDER BY id LIMIT ?", [PREVIEW_IDS]).fetchall()]
    found["soft-delete" if policy == "soft_delete_only" else "delete"] = gone
    return {kind: ids for kind, ids in found.items() if ids}
