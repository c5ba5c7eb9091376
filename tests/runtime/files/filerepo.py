"""A throwaway connector repository for file_pull tests: connectors compiled by the real compiler, data files
under the repository, runs through the real engine (`runtime.run.execute`), results read back from artifacts."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import duckdb
import yaml

from compiler.lower.files import lower_files
from compiler.plan import Plan
from compiler.validation import validate_paths
from runtime.ingest import Deliver
from runtime.report import RunReport
from runtime.run import ExecOptions, execute


def connector(
    name: str,
    source: dict[str, Any],
    mapping: dict[str, Any],
    *,
    out: Path,
    policy: str = "auto_delete_missing",
    guard: dict[str, Any] | None = None,
) -> dict[str, Any]:
    reconciliation: dict[str, Any] = {"deletePolicy": policy}
    if guard is not None:
        reconciliation["deleteGuard"] = guard
    return {
        "apiVersion": "sync.gemini.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name},
        "spec": {
            "mode": "file_pull",
            "schedule": "0 * * * *",
            "source": {"type": "file", **source},
            "mapping": mapping,
            "output": {"bucket": out.as_uri()},
            "gemini": {"projectId": "example-project", "location": "global", "dataStoreId": "files-ds"},
            "reconciliation": reconciliation,
        },
    }


class FileRepo:
    """`root` holds `.git`, `connectors/` and the data; `root/out` the artifacts, `root/state` the state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / ".git").mkdir(parents=True, exist_ok=True)
        (root / "connectors").mkdir(exist_ok=True)

    def write(self, relative: str, data: bytes | str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def connector(self, name: str, source: dict[str, Any], mapping: dict[str, Any], **options: Any) -> Plan:
        return self.compile(connector(name, source, mapping, out=self.root / "out", **options))

    def compile(self, document: dict[str, Any]) -> Plan:
        """Write the connector file, lint it (no finding allowed) and lower it, as `compiler build` does."""
        path = self.root / "connectors" / f"{document['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        result = validate_paths([str(path)], use_cache=False)
        assert not result.diagnostics, [d.message for d in result.diagnostics]
        compiled = lower_files(result.files, self.root)
        assert not compiled.problems, [p.render() for p in compiled.problems]
        (plan,) = compiled.plans
        return plan

    def run(self, plan: Plan, deliver: Deliver | None = None, **options: Any) -> RunReport:
        options.setdefault("source_root", self.root)
        return execute(plan, ExecOptions(state_dir=self.root / "state", **options), deliver=deliver)

    def run_dir(self, plan: Plan, report: RunReport) -> Path:
        return self.root / "out" / plan.name / "runs" / report.run_id

    def upserts(self, plan: Plan, report: RunReport) -> dict[str, dict[str, Any]]:
        text = (self.run_dir(plan, report) / "upserts.ndjson").read_text()
        return {doc["id"]: doc for doc in map(json.loads, text.splitlines())}

    def deletes(self, plan: Plan, report: RunReport) -> set[str]:
        text = (self.run_dir(plan, report) / "deletes.ndjson").read_text()
        return {json.loads(line)["id"] for line in text.splitlines()}

    def state_ids(self, plan: Plan) -> dict[str, bool]:
        with duckdb.connect(str(self.root / "state" / f"{plan.name}.duckdb"), read_only=True) as con:
            return {str(k): bool(v) for k, v in con.execute("SELECT id, deleted FROM documents").fetchall()}

    def catalogue(self, plan: Plan) -> dict[str, tuple[int, str]]:
        with duckdb.connect(str(self.root / "state" / f"{plan.name}.duckdb"), read_only=True) as con:
            rows = con.execute("SELECT path, size_bytes, content_hash FROM source_files").fetchall()
        return {str(path): (int(size), str(digest)) for path, size, digest in rows}

    def snapshot(self) -> dict[str, bytes]:
        """Every artifact and state file, to prove that a failed run changed nothing."""
        files = {}
        for base in (self.root / "out", self.root / "state"):
            if base.exists():
                for path in sorted(base.rglob("*")):
                    if path.is_file() and path.suffix != ".lock":
                        files[str(path)] = path.read_bytes()
        return files


def text_content(doc: dict[str, Any]) -> str:
    return base64.b64decode(doc["content"]["rawBytes"]).decode()
