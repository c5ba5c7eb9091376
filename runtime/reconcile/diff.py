"""The diff, in SQL over the staged `keys`/`docs` and the state's `known` (a full outer join on id).

new / changed / restored come from `docs` (built while staging); unchanged = extracted - upserted; missing =
known live documents absent from a complete snapshot, plus the known documents a source deleted explicitly (push
DELETE events, staged in `explicit(raw_id, id)`). What happens to missing documents is the delete policy:
  auto_delete_missing  -> `missing` holds them; they are written to deletes.ndjson. Documents only soft-deleted
                          under an earlier soft_delete_only policy count as live here, so a policy switch
                          converges: the next complete snapshot deletes what is absent, marked or not
  soft_delete_only     -> `missing` holds those with a stored copy; they are re-upserted with the mark
  never_delete         -> `missing` stays empty; they are only counted
An incremental extraction never reads the whole source, so absence means nothing: only explicit deletes count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from compiler.plan import Plan
from runtime.db import one
from runtime.errors import MappingError
from runtime.map.ids import document_id_sql


@dataclass(frozen=True, slots=True)
class Changes:
    """Counts of one run's planned changes."""

    extracted: int
    new: int
    changed: int
    restored: int
    unchanged: int
    known: int
    deleted: int
    soft_deleted: int
    missing_kept: int
    soft_unmarkable: int
    unknown_deletes: int = 0
    """Explicit deletes of ids this connector's state does not know: nothing is sent for them."""
    snapshot: bool = True
    """The extraction was a complete snapshot (absence counted as deletion)."""

    @property
    def deletions(self) -> int:
        """Documents this run removes or marks removed: what the delete guard counts."""
        return self.deleted + self.soft_deleted


DOC_STATUS = (
    "SELECT d.id, CASE WHEN d.status <> 'pending' THEN d.status WHEN k.id IS NULL THEN 'new' ELSE 'changed' END"
    " AS status FROM docs d LEFT JOIN known k ON d.status = 'pending' AND k.idh = d.idh AND k.id = d.id"
)
"""Each staged upsert as new, changed or restored. Staging leaves new and changed both `pending` (not matched
by id + content hash); one join with the known ids tells them apart, without rewriting `docs`."""


CARRIED = (
    "(k.part IN (SELECT part FROM carried_parts) AND NOT coalesce(k.deleted, false)"
    " AND k.id NOT IN (SELECT id FROM carried_missing))"
)
"""A known document `k` of a part the source carried (did not re-read): seen, unchanged, not in `keys`."""


def _carried(con: duckdb.DuckDBPyConnection) -> str:
    """`CARRIED`, without its test of every known id when no carried document is missing (the usual case: it
    halves a scan of a million known documents)."""
    if one(con, "SELECT 1 FROM carried_missing LIMIT 1") is None:
        return "(k.part IN (SELECT part FROM carried_parts) AND NOT coalesce(k.deleted, false))"
    return CARRIED


def _check_carried_collisions(con: duckdb.DuckDBPyConnection) -> None:
    row = one(
        con,
        f"SELECT s.id, k.part FROM keys s JOIN known k ON k.idh = s.idh AND k.id = s.id WHERE {_carried(con)} LIMIT 1",
    )
    if row is not None:
        raise MappingError(
            f"document id {row[0]!r} occurs in this extraction and in the unchanged part {row[1]}; nothing was"
            " changed. Make the id field unique across the source's parts (files)"
        )


def check_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a snapshot in which two records map to one document id (never merge them silently)."""
    _check_carried_collisions(con)
    if one(con, "SELECT idh FROM keys GROUP BY idh HAVING count(*) > 1 LIMIT 1") is None:
        return  # the common case: one aggregate over 64-bit id hashes (equal ids have equal hashes)
    rows = con.execute(
        "SELECT id, list(DISTINCT coalesce(raw_id, id) ORDER BY coalesce(raw_id, id))[1:3], count(*) FROM keys"
        " GROUP BY id"
        " HAVING count(*) > 1 ORDER BY id LIMIT 5"
    ).fetchall()
    total_row = one(con, "SELECT count(*) FROM (SELECT id FROM keys GROUP BY id HAVING count(*) > 1)")
    total = int(total_row[0]) if total_row else len(rows)
    if total == 0:
        return  # two different ids with one 64-bit hash: no duplicate
    shown = "; ".join(
        f"{doc_id!r} ({count} records, raw ids {', '.join(map(repr, raw))})" for doc_id, raw, count in rows
    )
    more = f" and {total - len(rows)} more" if total > len(rows) else ""
    raise MappingError(
        f"{total} document id(s) occur more than once in this extraction: {shown}{more}; nothing was changed."
        " Make the id field unique in the query (e.g. add a key column or DISTINCT ON)"
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = one(con, sql)
    return int(row[0]) if row and row[0] is not None else 0


def stage_explicit_deletes(con: duckdb.DuckDBPyConnection, plan: Plan, raw_ids: Sequence[str]) -> None:
    """The source's explicit deletes as the temp table `explicit(raw_id, id)`: raw ids and their document ids."""
    con.register("explicit_raw", pa.table({"raw_id": pa.array(list(raw_ids), pa.string())}))
    try:
        con.execute(
            f"CREATE TEMP TABLE explicit AS SELECT DISTINCT raw_id, {document_id_sql('raw_id', plan.mapping.id)} AS id"
            " FROM explicit_raw WHERE raw_id IS NOT NULL AND raw_id <> ''"
        )
    finally:
        con.unregister("explicit_raw")


def diff(con: duckdb.DuckDBPyConnection, plan: Plan, *, complete_snapshot: bool, state_has_docs: bool) -> Changes:
    """Count the changes and fill the temp table `missing(id, deleted_at)` per the delete policy.

    Reads `keys`, `docs`, `known`, `explicit` (create it empty when the source deleted nothing) and the carried
    parts (`CARRIED`)."""
    status = dict(con.execute(f"SELECT status, count(*) FROM ({DOC_STATUS}) GROUP BY status").fetchall())
    policy = plan.reconciliation.delete_policy
    # Under auto_delete_missing a soft-deleted document still exists in the data store: it is deleted too.
    live = "true" if policy == "auto_delete_missing" else "NOT coalesce(k.deleted, false)"
    carried_sql = _carried(con)
    # One scan of `known` for the counts: a re-sync that carries every file reads a million of them.
    counted = one(
        con,
        f"SELECT count(*) FILTER (WHERE {carried_sql}), count(*) FILTER (WHERE NOT coalesce(k.deleted, false)),"
        f" count(*) FILTER (WHERE {live} AND NOT {carried_sql}) FROM known k",
    )
    carried, known, uncarried = (int(value or 0) for value in counted) if counted else (0, 0, 0)
    staged = _count(con, "SELECT count(*) FROM keys")
    extracted = staged + carried
    if uncarried:
        # Only the clauses that can exclude anything: each one costs a look at every known document.
        seen = " ANTI JOIN keys s ON s.idh = k.idh AND s.id = k.id" if staged else ""
        deleted = "" if complete_snapshot else " AND k.id IN (SELECT id FROM explicit)"  # else: absent = deleted
        con.execute(
            f"CREATE TEMP TABLE missing_all AS SELECT k.id, now() AS deleted_at FROM known k{seen}"
            f" WHERE {live} AND NOT {carried_sql}{deleted}"
        )
    else:  # every live known document is in a carried part: none can be missing
        con.execute("CREATE TEMP TABLE missing_all (id VARCHAR, deleted_at TIMESTAMPTZ)")
    unknown = 0
    if _count(con, "SELECT count(*) FROM explicit"):  # else the NOT IN would hash every known id for nothing
        unknown = _count(con, "SELECT count(DISTINCT id) FROM explicit WHERE id NOT IN (SELECT id FROM known)")
    if policy == "soft_delete_only" and state_has_docs:
        con.execute(
            "CREATE TEMP TABLE missing AS SELECT m.* FROM missing_all m JOIN st.documents d ON d.id = m.id"
            " WHERE d.doc IS NOT NULL"
        )
    elif policy == "auto_delete_missing":
        con.execute("CREATE TEMP TABLE missing AS SELECT * FROM missing_all")
    else:
        con.execute("CREATE TEMP TABLE missing AS SELECT * FROM missing_all LIMIT 0")
    missing_all = _count(con, "SELECT count(*) FROM missing_all")
    acted = _count(con, "SELECT count(*) FROM missing")
    new, changed, restored = (int(status.get(k, 0)) for k in ("new", "changed", "restored"))
    return Changes(
        extracted=extracted,
        new=new,
        changed=changed,
        restored=restored,
        unchanged=extracted - new - changed - restored,
        known=known,
        deleted=acted if policy == "auto_delete_missing" else 0,
        soft_deleted=acted if policy == "soft_delete_only" else 0,
        missing_kept=missing_all if policy == "never_delete" else 0,
        soft_unmarkable=missing_all - acted if policy == "soft_delete_only" else 0,
        unknown_deletes=unknown,
        snapshot=complete_snapshot,
    )
