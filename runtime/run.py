"""One run of a `sql_pull` plan, start to finish. Nothing persists unless every step succeeded.

Order: secrets -> extract + map + stage (scratch DuckDB) -> duplicates -> diff -> delete guard -> [dry run stops]
-> artifacts into a scratch folder -> publish them (one rename) -> commit state (one transaction; on failure the
published artifacts are retracted). A failure anywhere before the commit leaves state and artifacts untouched.
"""

from __future__ import annotations

import datetime
import json
import secrets as pysecrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from compiler.plan import Plan, Secret, SqlSource
from runtime.db import one
from runtime.deliver import ArtifactSink, LineWriter, finish_artifacts, sink_for
from runtime.errors import ConfigError, MappingError, RuntimeFailure, SourceError, StateError
from runtime.map.documents import HASH_ALGORITHM
from runtime.reconcile import Changes, check_delete_guard, check_duplicates, diff
from runtime.reconcile.diff import DOC_STATUS
from runtime.redact import redact
from runtime.report import RunReport
from runtime.stage import StageResult, open_workspace, size_memory, stage_batches
from runtime.state import StateStore, Watermark
from runtime.state.store import Commit
from runtime.state.watermark import checked_type


class Extractor(Protocol):
    def batches(self, statement: str, params: Mapping[str, object]) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...


OpenExtractor = Callable[[SqlSource, str], Extractor]
ResolveSecret = Callable[[Secret], str]


@dataclass(frozen=True, slots=True)
class ExecOptions:
    state_dir: Path
    dry_run: bool = False
    allow_mass_delete: bool = False
    progress: Callable[[int], None] | None = None


def _default_open_extractor(source: SqlSource, url: str) -> Extractor:
    from runtime.extract import open_extractor

    extractor: Extractor = open_extractor(source, url)
    return extractor


def _default_resolve_secret(secret: Secret) -> str:
    from runtime.secrets import resolve_secret

    return str(resolve_secret(secret))


def new_run_id(now: datetime.datetime) -> str:
    """Sortable and unique: UTC time to the microsecond plus 6 random hex digits."""
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + pysecrets.token_hex(3)


def _statement(plan: Plan, source: SqlSource, before: Watermark | None) -> tuple[str, dict[str, object], bool]:
    """(statement, binds, complete snapshot?) for this run."""
    if plan.extraction.kind == "snapshot":
        return source.snapshot_statement, {}, True
    if source.incremental_statement is None:
        raise ConfigError(f"plan {plan.name}: incremental extraction without an incremental statement")
    if before is not None:
        return source.incremental_statement, {"watermark": before.bind_value()}, False
    if plan.extraction.watermark_initial is not None:
        return source.incremental_statement, {"watermark": plan.extraction.watermark_initial}, False
    # First run with no starting point: read everything once (still not a complete snapshot for deletes).
    return source.snapshot_statement, {}, False


def _watermark_after(
    con: duckdb.DuckDBPyConnection, field: str, wm_type: str | None, before: Watermark | None
) -> Watermark | None:
    """The new checkpoint: max(before, max extracted), compared in the column's type."""
    if wm_type is None:
        return before
    kind = checked_type(wm_type)
    if before is None:
        row = one(con, "SELECT CAST(max(wm) AS VARCHAR) FROM keys")
    else:
        try:
            row = one(con, f"SELECT CAST(greatest(max(wm), CAST(? AS {kind})) AS VARCHAR) FROM keys", [before.text])
        except duckdb.Error as exc:
            raise StateError(
                f"the stored watermark {before.text!r} ({before.type}) cannot be compared with column {field!r}"
                f" ({kind}): {exc}; reset the state if the column's type changed on purpose"
            ) from None
    if row is None or row[0] is None:
        return before
    return Watermark(field=field, type=kind, text=str(row[0]))


PREVIEW_IDS = 10


def _preview(con: duckdb.DuckDBPyConnection, policy: str) -> dict[str, list[str]]:
    """A few document ids per kind of change, for a dry run to show (like `terraform plan`)."""
    preview: dict[str, list[str]] = {}
    for status in ("new", "changed", "restored"):
        rows = con.execute(
            f"SELECT id FROM ({DOC_STATUS}) WHERE status = ? ORDER BY id LIMIT ?", [status, PREVIEW_IDS]
        ).fetchall()
        preview[status] = [str(row[0]) for row in rows]
    gone = [str(row[0]) for row in con.execute("SELECT id FROM missing ORDER BY id LIMIT ?", [PREVIEW_IDS]).fetchall()]
    preview["soft-delete" if policy == "soft_delete_only" else "delete"] = gone
    return {kind: ids for kind, ids in preview.items() if ids}


def _resolve_all(plan: Plan, source: SqlSource, resolve: ResolveSecret) -> tuple[str, list[str]]:
    wanted = {s.name: s for s in (*plan.secrets, source.secret)}
    values = {name: resolve(secret) for name, secret in sorted(wanted.items())}
    return values[source.secret.name], list(values.values())


class _Run:
    def __init__(self, plan: Plan, options: ExecOptions, open_extractor: OpenExtractor, resolve: ResolveSecret):
        self.plan, self.options = plan, options
        self.open_extractor, self.resolve = open_extractor, resolve
        self.secrets: list[str] = []
        self.upserts: LineWriter | None = None
        self.soft = plan.reconciliation.delete_policy == "soft_delete_only"
        self.started = datetime.datetime.now(datetime.UTC)
        self.t0 = time.monotonic()
        self.report = RunReport(
            connector=plan.name,
            run_id=new_run_id(self.started),
            plan_hash=plan.plan_hash,
            extraction=plan.extraction.kind,
            dry_run=options.dry_run,
        )

    def execute(self) -> RunReport:
        plan, source = self.plan, self.plan.source
        if not isinstance(source, SqlSource) or plan.mode != "sql_pull":
            raise ConfigError(f"plan {plan.name}: mode {plan.mode} is not available yet in this runtime")
        if plan.extraction.kind == "incremental" and plan.reconciliation.delete_policy == "auto_delete_missing":
            raise ConfigError(
                f"plan {plan.name}: incremental extraction with auto_delete_missing would delete every document"
                " not changed since the watermark; use soft_delete_only or never_delete, or a snapshot query"
            )
        sink = sink_for(plan.output.base_uri)
        url, self.secrets = _resolve_all(plan, source, self.resolve)
        store = StateStore(self.options.state_dir, plan.name)
        if not self.options.dry_run:
            store.lock()
        try:
            workdir = Path(tempfile.mkdtemp(prefix=f"gemini-sync-{plan.name}-"))
        except OSError as exc:
            store.release()
            raise StateError(f"cannot create the run's scratch folder: {exc}") from None
        con = None
        try:
            con = open_workspace(workdir)
            if not self.options.dry_run:
                (workdir / "artifacts").mkdir()
                self.upserts = LineWriter(workdir / "artifacts" / "upserts.ndjson")
            return self._with_workspace(con, store, source, url, sink, workdir)
        finally:
            if self.upserts is not None:
                self.upserts.abort()
            if con is not None:
                con.close()
            shutil.rmtree(workdir, ignore_errors=True)
            store.release()

    def _extract(
        self, con: duckdb.DuckDBPyConnection, source: SqlSource, url: str, store: StateStore
    ) -> tuple[Watermark | None, StageResult, bool]:
        before = store.watermark(con)
        statement, binds, complete = _statement(self.plan, source, before)
        algorithm = store.hash_algorithm(con)
        compare = algorithm in (None, HASH_ALGORITHM)
        if not compare:
            self.report.notes.append(f"content hashes were made by {algorithm}; every document is re-upserted once")
        extractor = self.open_extractor(source, url)
        try:
            staged = stage_batches(
                con,
                self.plan,
                extractor.batches(statement, binds),
                compare_hashes=compare,
                upserts=self.upserts,
                keep_docs=self.soft,
                progress=self.options.progress,
            )
        except RuntimeFailure:
            raise
        except duckdb.Error as exc:
            raise MappingError(f"mapping records to documents failed: {exc}") from None
        except Exception as exc:  # a driver error the extractor did not wrap: still no traceback, no secret
            raise SourceError(f"extraction failed: {type(exc).__name__}: {exc}") from None
        finally:
            extractor.close()
        return before, staged, complete

    def _with_workspace(
        self,
        con: duckdb.DuckDBPyConnection,
        store: StateStore,
        source: SqlSource,
        url: str,
        sink: ArtifactSink,
        workdir: Path,
    ) -> RunReport:
        plan, report = self.plan, self.report
        store.attach(con, read_only=self.options.dry_run)
        size_memory(con)
        before, staged, complete = self._extract(con, source, url, store)
        check_duplicates(con)
        changes = diff(con, plan, complete_snapshot=complete, state_has_docs=store.attached)
        report.changes = changes
        check_delete_guard(plan.reconciliation.delete_guard, changes, allow=self.options.allow_mass_delete)
        if changes.deletions and self.options.allow_mass_delete:
            report.notes.append("delete guard overridden with --allow-mass-delete")
        self._skips(changes, complete)
        field = plan.extraction.watermark_field
        after = _watermark_after(con, field, staged.watermark_type, before) if field else before
        report.watermark_before = before.to_json() if before else None
        report.watermark_after = after.to_json() if after else None
        if self.options.dry_run:
            report.preview = _preview(con, plan.reconciliation.delete_policy)
            return report
        return self._write(con, store, sink, workdir, after)

    def _skips(self, changes: Changes, complete: bool) -> None:
        self.report.skip(changes.missing_kept, "absent from the source, kept (delete policy never_delete)")
        self.report.skip(
            changes.soft_unmarkable,
            "absent from the source but no stored copy to re-upsert with the deleted mark (first run under"
            " soft_delete_only); left as they are",
        )
        if not complete and changes.known:
            self.report.notes.append("incremental extraction: documents not returned are not deletions")

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        store: StateStore,
        sink: ArtifactSink,
        workdir: Path,
        after: Watermark | None,
    ) -> RunReport:
        plan, report, soft = self.plan, self.report, self.soft
        folder = workdir / "artifacts"
        assert self.upserts is not None  # not a dry run
        manifest = {
            "manifestVersion": 1,
            "connector": plan.name,
            "runId": report.run_id,
            "planHash": plan.plan_hash,
            "startedAt": self.started.isoformat(),
            "extraction": plan.extraction.kind,
            "deletePolicy": plan.reconciliation.delete_policy,
            "counts": report.to_json()["counts"],
            "watermarkBefore": report.watermark_before,
            "watermarkAfter": report.watermark_after,
            "target": {"dataStore": plan.target.data_store, "branch": plan.target.branch},
        }
        try:
            finish_artifacts(
                con,
                plan,
                self.upserts,
                manifest,
                soft_delete=soft and store.attached,
                hard_delete=plan.reconciliation.delete_policy == "auto_delete_missing",
            )
        except (OSError, duckdb.Error) as exc:
            raise StateError(f"cannot write run artifacts: {exc}") from None
        publication = sink.publish(report.run_id, folder)
        report.artifacts = publication.uri
        report.duration_seconds = time.monotonic() - self.t0
        commit = Commit(
            run_id=report.run_id,
            plan_hash=plan.plan_hash,
            started_at=self.started.isoformat(),
            report_json=json.dumps(report.to_json(), sort_keys=True),
            keep_docs=soft,
            hard_delete=plan.reconciliation.delete_policy == "auto_delete_missing",
            soft_delete=soft,
            watermark=after,
            hash_algorithm=HASH_ALGORITHM,
        )
        try:
            store.commit(con, commit)
        except BaseException:
            publication.retract()
            raise
        return report


def execute(
    plan: Plan,
    options: ExecOptions,
    *,
    open_extractor: OpenExtractor | None = None,
    resolve_secret: ResolveSecret | None = None,
) -> RunReport:
    """Run `plan` once. Raises a RuntimeFailure (message free of secrets) when anything fails."""
    run = _Run(plan, options, open_extractor or _default_open_extractor, resolve_secret or _default_resolve_secret)
    try:
        report = run.execute()
    except RuntimeFailure as failure:
        raise type(failure)(redact(str(failure), run.secrets)) from None
    except (duckdb.Error, OSError) as exc:  # the state file or scratch space: still one line, still no secret
        raise StateError(
            redact(f"the run failed in its local state: {type(exc).__name__}: {exc}", run.secrets)
        ) from None
    report.duration_seconds = time.monotonic() - run.t0
    return report
