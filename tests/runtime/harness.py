"""Drive `runtime.run.execute` and read back what a run left behind (artifacts and state)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from compiler.plan import Plan, SqlSource
from runtime.ingest import Deliver
from runtime.report import RunReport
from runtime.run import ExecOptions, execute
from runtime.sources import Pull, PullContext
from runtime.sources.sql import Extractor, open_sql_pull
from tests.runtime.fakes import FakeSource

T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)


def docs_table(ids: Sequence[int], *, changed: Sequence[int] = (), version: int = 0) -> pa.Table:
    """The fake `docs` table: one row per id; `changed` ids get a new body and a later updated_at."""
    body = [f"body {i}" + (f" v{version}" if i in changed else "") for i in ids]
    stamps = [T0 + datetime.timedelta(seconds=i + (100_000 * version if i in changed else 0)) for i in ids]
    return pa.table(
        {
            "id": pa.array(list(ids), pa.int64()),
            "title": [f"Doc {i}" for i in ids],
            "body": body,
            "department": ["eng" if i % 2 else "sales" for i in ids],
            "users": [[f"u{i}@example.com"] if i % 2 else [] for i in ids],
            "groups_csv": ["staff, managers" if i % 3 == 0 else None for i in ids],
            "updated_at": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        }
    )


class Harness:
    def __init__(self, root: Path, plan: Plan, secret: str = "duckdb:///not-used") -> None:
        self.root = root
        self.plan = plan
        self.state_dir = root / "state"
        self.secret = secret
        self.runs: list[RunReport] = []

    @property
    def out(self) -> Path:
        return Path(self.plan.output.base_uri.removeprefix("file://"))

    def run(
        self,
        table: pa.Table | None = None,
        *,
        fake: FakeSource | None = None,
        opener: Callable[[SqlSource, str], Extractor] | None = None,
        dry_run: bool = False,
        allow_mass_delete: bool = False,
        deliver: Deliver | None = None,
    ) -> RunReport:
        if opener is None:
            source = fake if fake is not None else FakeSource(table, watermark_column="updated_at")
            opener = source.open
        extract = opener

        def open_pull(context: PullContext) -> Pull:
            assert isinstance(context.plan.source, SqlSource)
            return open_sql_pull(context, context.plan.source, extract)

        report = execute(
            self.plan,
            ExecOptions(state_dir=self.state_dir, dry_run=dry_run, allow_mass_delete=allow_mass_delete),
            open_pull=open_pull,
            resolve_secret=lambda secret: self.secret,
            deliver=deliver,
        )
        self.runs.append(report)
        return report

    def run_dir(self, report: RunReport) -> Path:
        return self.out / "runs" / report.run_id

    def upserts(self, report: RunReport) -> list[dict[str, Any]]:
        text = (self.run_dir(report) / "upserts.ndjson").read_text()
        return [json.loads(line) for line in text.splitlines()]

    def upsert_ids(self, report: RunReport) -> set[str]:
        return {doc["id"] for doc in self.upserts(report)}

    def deletes(self, report: RunReport) -> set[str]:
        text = (self.run_dir(report) / "deletes.ndjson").read_text()
        return {json.loads(line)["id"] for line in text.splitlines()}

    def manifest(self, report: RunReport) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.run_dir(report) / "manifest.json").read_text())
        return data

    def state_path(self) -> Path:
        return self.state_dir / f"{self.plan.name}.duckdb"

    def state(self) -> dict[str, bool]:
        """id -> soft-deleted mark, read from the state file."""
        with duckdb.connect(str(self.state_path()), read_only=True) as con:
            return dict(con.execute("SELECT id, deleted FROM documents").fetchall())

    def watermark(self) -> tuple[str, str] | None:
        with duckdb.connect(str(self.state_path()), read_only=True) as con:
            rows = con.execute("SELECT type, value FROM watermark").fetchall()
        return (rows[0][0], rows[0][1]) if rows else None

    def snapshot_files(self) -> dict[str, bytes]:
        """Every file the runs left (artifacts and state), to prove a failed run changed nothing."""
        files = {}
        for base in (self.out, self.state_dir):
            if base.exists():
                for path in sorted(base.rglob("*")):
                    if path.is_file() and path.suffix != ".lock":
                        files[str(path)] = path.read_bytes()
        return files
