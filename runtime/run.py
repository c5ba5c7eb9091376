"""One run of a plan, start to finish, for every mode. Nothing persists unless every step succeeded.

Order: secrets (a push plan's drain needs none) -> lock + repair what a crashed run left (`runtime.deliver.publish.recover`) -> the mode's pull
(`runtime.sources`) streamed through mapping into the scratch DuckDB -> duplicates -> diff -> delete guard ->
[a dry run stops here] -> artifacts -> publish (manifest last) -> deliver -> commit state (one transaction, with
the source's own state) -> `_COMMITTED` marker. A failure or a stop before the commit removes the run's published
files and changes nothing; the commit and the marker finish before a stop is honoured.
"""

from __future__ import annotations

import datetime
import json
import secrets as pysecrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from compiler.plan import Plan, PushSource, Secret
from runtime.deliver import LineWriter, finish_artifacts
from runtime.deliver.artifacts import FileDigest
from runtime.deliver.csv_export import FILE_NAME as CSV_FILE
from runtime.deliver.csv_export import CsvExport
from runtime.deliver.publish import PublishedRun, mark_committed, publish_latest, recover, recover_legacy
from runtime.deliver.store import ObjectStore, store_for
from runtime.errors import ConfigError, MappingError, RuntimeFailure, SourceError, StateError
from runtime.ingest import Deliver, DeliveryRequest, DeliveryResult
from runtime.map.documents import HASH_ALGORITHM
from runtime.memory import MEMORY_ENV, default_memory_mb
from runtime.reconcile import Changes, check_delete_guard, check_duplicates, diff
from runtime.reconcile.diff import stage_explicit_deletes
from runtime.redact import redact
from runtime.report import RunReport
from runtime.scratch import Scratch
from runtime.signals import STOP
from runtime.sources import Pull, PullContext, PullOutcome, open_pull
from runtime.sources.base import ScansInPlace
from runtime.stage import (
    FreshWorkspaces,
    StageOptions,
    StageResult,
    Workspaces,
    size_memory,
    stage_batches,
    stage_scan,
)
from runtime.stage.preview import preview
from runtime.state import StateStore, Watermark
from runtime.state.checkpoint import held_for_refused, watermark_after
from runtime.state.refused import stage_refused
from runtime.state.store import Commit

OpenPull = Callable[[PullContext], Pull]
ResolveSecret = Callable[[Secret], str]


@dataclass(frozen=True, slots=True)
class ExecOptions:
    state_dir: Path
    dry_run: bool = False
    allow_mass_delete: bool = False
    progress: Callable[[int], None] | None = None
    memory_limit_mb: int | None = None
    """DuckDB's memory limit before it spills to disk; default: sized from the machine (`runtime.memory`)."""
    source_root: Path | None = None
    """The connector repository the plan was built from: file_pull resolves a relative folder against it."""
    workspaces: Workspaces | None = None
    """Where the run's scratch DuckDB comes from; default: a new in-memory database (`FreshWorkspaces`)."""


def _default_resolve_secret(secret: Secret) -> str:
    from runtime.secrets import resolve_secret

    return str(resolve_secret(secret))


def new_run_id(now: datetime.datetime, after: str | None = None) -> str:
    """Sortable and unique: UTC time to the microsecond plus 6 random hex digits, always after `after` (the last
    committed run), even when this machine's clock is behind the one that wrote it."""
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    if after is not None and stamp <= after[: len(stamp)]:
        last = datetime.datetime.strptime(after[: len(stamp)], "%Y%m%dT%H%M%S%fZ")
        stamp = (last + datetime.timedelta(microseconds=1)).strftime("%Y%m%dT%H%M%S%fZ")
    return stamp + "-" + pysecrets.token_hex(3)


def _resolve_all(plan: Plan, resolve: ResolveSecret) -> dict[str, str]:
    """Every secret the run needs, resolved before anything is read (a missing one fails fast).

    Not a push plan's token: it authenticates pushers to `runtime serve`, and the drain authenticates no one.
    """
    source_secret: Secret | None = getattr(plan.source, "secret", None)
    wanted = {s.name: s for s in (*plan.secrets, *([source_secret] if source_secret else []))}
    if isinstance(plan.source, PushSource):
        wanted.pop(plan.source.secret.name, None)
    return {name: resolve(secret) for name, secret in sorted(wanted.items())}


class _Run:
    def __init__(
        self, plan: Plan, options: ExecOptions, open_pull: OpenPull, resolve: ResolveSecret, deliver: Deliver | None
    ):
        self.plan, self.options = plan, options
        self.open_pull, self.resolve, self.deliver = open_pull, resolve, deliver
        self.secrets: dict[str, str] = {}
        self.upserts: LineWriter | None = None
        self.csv: CsvExport | None = None
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
        plan = self.plan
        explicit_only = plan.mode == "rest_push"  # pushed DELETE events are the only deletes
        if (
            plan.extraction.kind == "incremental"
            and plan.reconciliation.delete_policy == "auto_delete_missing"
            and not explicit_only
        ):
            raise ConfigError(
                f"plan {plan.name}: incremental extraction with auto_delete_missing would delete every document"
                " not changed since the watermark; use soft_delete_only or never_delete, or a snapshot query"
            )
        store = store_for(plan.output.base_uri)
        self.secrets = _resolve_all(plan, self.resolve)
        state = StateStore(self.options.state_dir, plan.name)
        if not self.options.dry_run:
            state.lock()
        try:
            with Scratch.create(self.options.state_dir, plan.name, dry_run=self.options.dry_run) as scratch:
                workspaces = self.options.workspaces or FreshWorkspaces()
                con = workspaces.open(scratch.path, self.options.memory_limit_mb or default_memory_mb())
                try:
                    if not self.options.dry_run:
                        (scratch.path / "artifacts").mkdir()
                        self.upserts = LineWriter(scratch.path / "artifacts" / "upserts.ndjson")
                        if plan.output.format == "csv":
                            self.csv = CsvExport(scratch.path / "artifacts" / CSV_FILE)
                    return self._in_workspace(con, state, store, scratch.path)
                finally:
                    if self.upserts is not None:
                        self.upserts.abort()
                    workspaces.close(con)
        finally:
            state.release()

    def _in_workspace(
        self, con: duckdb.DuckDBPyConnection, state: StateStore, store: ObjectStore, workdir: Path
    ) -> RunReport:
        plan, report, options = self.plan, self.report, self.options
        state.attach(con, read_only=options.dry_run)
        if not options.dry_run:
            self._recover(con, state, store)
        size_memory(con, options.memory_limit_mb or default_memory_mb())
        before = state.watermark(con)
        outcome, staged = self._pull(con, state, before)
        self._carry(con, outcome, state.attached)
        stage_explicit_deletes(con, plan, outcome.deletes)
        if plan.mode != "rest_push":
            check_duplicates(con)
        changes = diff(con, plan, complete_snapshot=outcome.complete, state_has_docs=state.attached)
        report.changes = changes
        check_delete_guard(plan.reconciliation.delete_guard, changes, allow=options.allow_mass_delete)
        if changes.deletions and options.allow_mass_delete:
            report.notes.append("delete guard overridden with --allow-mass-delete")
        self._skips(changes, outcome.complete)
        field = plan.extraction.watermark_field
        after = watermark_after(con, field, staged.watermark_type, before) if field else before
        report.watermark_before = before.to_json() if before else None
        report.watermark_after = after.to_json() if after else None
        if options.dry_run:
            report.preview = preview(con, plan.reconciliation.delete_policy)
            return report
        return self._write(con, state, store, workdir, after, outcome)

    def _recover(self, con: duckdb.DuckDBPyConnection, state: StateStore, store: ObjectStore) -> None:
        last = state.last_run(con)
        if state.legacy:
            self.report.notes += recover_legacy(store, state.committed_runs(con))
        details = json.loads(last[1]) if last else {}
        self.report.notes += recover(store, last[0] if last else None, {"report": details} if last else {})
        if last is not None:
            self.report.run_id = new_run_id(self.started, after=last[0])

    def _pull(
        self, con: duckdb.DuckDBPyConnection, state: StateStore, before: Watermark | None
    ) -> tuple[PullOutcome, StageResult]:
        algorithm = state.hash_algorithm(con)
        compare = algorithm in (None, HASH_ALGORITHM)
        if not compare:
            self.report.notes.append(f"content hashes were made by {algorithm}; every document is re-upserted once")
        context = PullContext(
            plan=self.plan,
            secrets=self.secrets,
            checkpoint=before,
            state=con,
            has_state=state.attached,
            dry_run=self.options.dry_run,
            progress=self.options.progress,
            source_root=self.options.source_root,
            notes=self.report.notes,
            state_dir=self.options.state_dir,
        )
        pull = self.open_pull(context)
        try:
            staging = StageOptions(
                compare_hashes=compare,
                upserts=self.upserts,
                keep_docs=self.soft,
                record_format=pull.record_format,
                progress=self.options.progress,
            )
            scan = pull.scan() if isinstance(pull, ScansInPlace) and self.csv is None else None
            if scan is not None:  # DuckDB reads the records itself, in place
                staged = stage_scan(con, self.plan, scan, staging)
            else:
                batches = self.csv.tee(pull.batches()) if self.csv is not None else pull.batches()
                staged = stage_batches(con, self.plan, batches, staging)
            outcome = pull.outcome()
        except RuntimeFailure:
            raise
        except duckdb.OutOfMemoryException:
            limit = self.options.memory_limit_mb or default_memory_mb()
            raise MappingError(
                f"mapping records to documents ran out of its {limit} MB memory limit (large documents need about"
                " 5 MB per MB of their largest document); rerun with --memory-limit MB or set"
                f" {MEMORY_ENV} higher"
            ) from None
        except duckdb.Error as exc:
            raise MappingError(f"mapping records to documents failed: {exc}") from None
        except Exception as exc:  # a driver error the source did not wrap: still no traceback, no secret
            raise SourceError(f"extraction failed: {type(exc).__name__}: {exc}") from None
        finally:
            pull.close()
        self.pull_outcome = outcome
        return outcome, staged

    @staticmethod
    def _carry(con: duckdb.DuckDBPyConnection, outcome: PullOutcome, attached: bool) -> None:
        """Known documents of parts the source did not re-read count as seen and unchanged.

        They are not copied into `keys`: `carried_parts(part)` and `carried_missing(id)` (documents already
        missing from their part, kept under never_delete: not in it now either) let the duplicate check and the
        diff tell them by `runtime.reconcile.diff.CARRIED`, so a re-sync that carries a million documents joins
        nothing with them. Both tables exist, empty, for every run."""
        parts = pa.table({"part": pa.array(list(outcome.carried_parts), pa.string())})
        con.register("carried_input", parts)
        con.execute("CREATE TEMP TABLE carried_parts AS SELECT DISTINCT part FROM carried_input")
        con.unregister("carried_input")
        missing = "SELECT id FROM st.documents WHERE missing_since_run IS NOT NULL"
        if not (outcome.carried_parts and attached):
            missing = "SELECT NULL::VARCHAR AS id LIMIT 0"
        con.execute(f"CREATE TEMP TABLE carried_missing AS {missing}")

    def _skips(self, changes: Changes, complete: bool) -> None:
        self.report.skip(changes.missing_kept, "absent from the source, kept (delete policy never_delete)")
        self.report.skip(
            changes.soft_unmarkable,
            "absent from the source but no stored copy to re-upsert with the deleted mark (first run under"
            " soft_delete_only); left as they are",
        )
        self.report.skip(changes.unknown_deletes, "deleted by the source but not documents of this connector")
        if not complete and changes.known and self.plan.mode != "rest_push":
            self.report.notes.append("incremental extraction: documents not returned are not deletions")

    def _manifest(self) -> dict[str, object]:
        plan, report = self.plan, self.report
        return {
            "manifestVersion": 3,  # 3: file checksums are XXH3-128 (2: SHA-256)
            "connector": plan.name,
            "runId": report.run_id,
            "planHash": plan.plan_hash,
            "startedAt": self.started.isoformat(),
            "extraction": plan.extraction.kind,
            "deletePolicy": plan.reconciliation.delete_policy,
            "counts": report.to_json()["counts"],
            "watermarkBefore": report.watermark_before,
            "watermarkAfter": report.watermark_after,
            "target": {"dataStore": plan.target.data_store, "branch": plan.target.branch} if plan.target else None,
            "ingestionEnabled": plan.ingestion_enabled,
            "commitMarker": "_COMMITTED",
        }

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        state: StateStore,
        store: ObjectStore,
        workdir: Path,
        after: Watermark | None,
        outcome: PullOutcome,
    ) -> RunReport:
        plan, report, soft = self.plan, self.report, self.soft
        folder = workdir / "artifacts"
        assert self.upserts is not None  # not a dry run
        try:
            files = finish_artifacts(
                con,
                plan,
                self.upserts,
                self._manifest(),
                soft_delete=soft and state.attached,
                hard_delete=plan.reconciliation.delete_policy == "auto_delete_missing",
            )
        except (OSError, duckdb.Error) as exc:
            raise StateError(f"cannot write run artifacts: {exc}") from None
        names = [*files, "manifest.json"]
        if self.csv is not None:
            self.csv.close()
            names.insert(0, CSV_FILE)
        published = PublishedRun(store, report.run_id)
        committed = False
        try:
            STOP.check()
            published.upload(folder, names)
            report.artifacts = published.uri
            STOP.check()
            delivered = self._deliver(published, folder, files)
            stage_refused(con, [(f.id, f.operation) for f in delivered.failed] if delivered else [])
            after = self._held(con, after)
            STOP.check()
            with STOP.deferred():
                state.commit(con, self._commit(after, outcome, delivered))
                committed = True
                self._mark(store, delivered)
                self._latest(store, folder, names)
        except BaseException:
            if not committed:
                try:
                    published.retract()
                except RuntimeFailure as exc:
                    report.notes.append(f"could not remove the uncommitted artifacts ({exc}); the next run does")
            raise
        if outcome.commit is not None and not STOP.requested:
            try:
                outcome.commit.committed()
            except (RuntimeFailure, OSError) as exc:
                report.notes.append(f"the source could not release what this run consumed ({exc}); the next run does")
        if STOP.requested:
            report.notes.append(f"stopped by {STOP.requested} after the commit; the run is complete")
        return report

    def _deliver(self, published: PublishedRun, folder: Path, files: dict[str, FileDigest]) -> DeliveryResult | None:
        if self.deliver is None:
            return None
        c = self.report.changes
        request = DeliveryRequest(
            plan=self.plan,
            run_id=self.report.run_id,
            upserts=folder / "upserts.ndjson",
            upserts_uri=published.key_uri("upserts.ndjson"),
            upserts_count=files["upserts.ndjson"].lines,
            deletes=folder / "deletes.ndjson",
            deletes_count=c.deleted if c else 0,
        )
        result = self.deliver(request)
        self.report.delivery = result
        return result

    def _held(self, con: duckdb.DuckDBPyConnection, after: Watermark | None) -> Watermark | None:
        """The checkpoint to commit once delivery refused some documents: not past any of them."""
        held = held_for_refused(con, after)
        if held is not None and after is not None and held != after:
            self.report.watermark_after = held.to_json()
            self.report.notes.append(
                f"watermark held at {held.text} (not {after.text}): the next run reads the refused documents again"
            )
        return held

    def _latest(self, store: ObjectStore, folder: Path, names: list[str]) -> None:
        if not self.plan.output.publish_latest_alias:
            return
        try:
            publish_latest(store, folder, names)
        except RuntimeFailure as exc:  # the run is committed; latest/ catches up with the next run
            self.report.notes.append(f"latest/ could not be updated ({exc}); the next run updates it")

    def _commit(self, after: Watermark | None, outcome: PullOutcome, delivered: DeliveryResult | None) -> Commit:
        plan, report = self.plan, self.report
        report.duration_seconds = time.monotonic() - self.t0
        return Commit(
            run_id=report.run_id,
            plan_hash=plan.plan_hash,
            started_at=self.started.isoformat(),
            report_json=json.dumps(report.to_json(), sort_keys=True),
            keep_docs=self.soft,
            hard_delete=plan.reconciliation.delete_policy == "auto_delete_missing",
            soft_delete=self.soft,
            watermark=after,
            hash_algorithm=HASH_ALGORITHM,
            source=outcome.commit,
        )

    def _mark(self, store: ObjectStore, delivered: DeliveryResult | None) -> None:
        details: dict[str, object] = {"report": self.report.to_json()}
        if delivered is not None:
            details["failed"] = [{"id": f.id, "operation": f.operation, "reason": f.reason} for f in delivered.failed]
        try:
            mark_committed(store, self.report.run_id, details)
        except RuntimeFailure as exc:  # the state is committed: the next run writes the marker
            self.report.notes.append(f"the commit marker could not be written ({exc}); the next run writes it")


def execute(
    plan: Plan,
    options: ExecOptions,
    *,
    open_pull: OpenPull | None = None,
    resolve_secret: ResolveSecret | None = None,
    deliver: Deliver | None = None,
) -> RunReport:
    """Run `plan` once. Raises a RuntimeFailure (message free of secrets) when anything fails.

    `deliver` defaults to Discovery Engine (`runtime.ingest.deliver`) when the plan's ingestion is enabled, and
    to none (artifacts only) when it is disabled."""
    if deliver is None and plan.ingestion_enabled:
        from runtime.ingest.deliver import DiscoveryEngineDeliver

        deliver = DiscoveryEngineDeliver()
    run = _Run(plan, options, open_pull or _open_pull, resolve_secret or _default_resolve_secret, deliver)
    try:
        report = run.execute()
    except RuntimeFailure as failure:
        raise type(failure)(redact(str(failure), run.secrets.values())) from None
    except (duckdb.Error, OSError) as exc:  # the state file or scratch space: still one line, still no secret
        raise StateError(
            redact(f"the run failed in its local state: {type(exc).__name__}: {exc}", run.secrets.values())
        ) from None
    report.duration_seconds = time.monotonic() - run.t0
    return report


def _open_pull(context: PullContext) -> Pull:
    return open_pull(context)
