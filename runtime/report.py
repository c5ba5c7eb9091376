"""A run's outcome, for people (a short summary on stderr) and machines (`--json` on stdout)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from runtime.ingest import DeliveryResult
from runtime.reconcile import Changes

REPORT_VERSION = 1


@dataclass(slots=True)
class RunReport:
    connector: str
    run_id: str
    plan_hash: str
    extraction: str
    dry_run: bool
    status: str = "ok"
    changes: Changes | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)
    watermark_before: dict[str, str] | None = None
    watermark_after: dict[str, str] | None = None
    artifacts: str | None = None
    duration_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    preview: dict[str, list[str]] | None = None
    """Dry runs only: up to 10 document ids per kind of change."""
    delivery: DeliveryResult | None = None
    """What reached the data store (None when the run only wrote artifacts)."""

    def skip(self, count: int, reason: str) -> None:
        if count:
            self.skipped.append({"count": count, "reason": reason})

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "reportVersion": REPORT_VERSION,
            "connector": self.connector,
            "runId": self.run_id,
            "planHash": self.plan_hash,
            "extraction": self.extraction,
            "dryRun": self.dry_run,
            "status": self.status,
            "counts": None if self.changes is None else _camel(asdict(self.changes)),
            "skipped": self.skipped,
            "watermarkBefore": self.watermark_before,
            "watermarkAfter": self.watermark_after,
            "artifacts": self.artifacts,
            "durationSeconds": round(self.duration_seconds, 3),
            "notes": self.notes,
        }
        if self.preview is not None:
            data["preview"] = self.preview
        if self.delivery is not None:
            d = self.delivery
            data["delivery"] = {
                "upserted": d.upserted,
                "deleted": d.deleted,
                "failed": [{"id": f.id, "operation": f.operation, "reason": f.reason} for f in d.failed],
                "calls": d.calls,
                "notes": list(d.notes),
            }
        return data


def _camel(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        head, *rest = key.split("_")
        out[head + "".join(p.title() for p in rest)] = value
    return out


def render_json(report: RunReport) -> str:
    return json.dumps(report.to_json(), sort_keys=True)


def render_text(report: RunReport) -> str:
    """A few lines a person reads after a run."""
    title = "dry run (nothing written)" if report.dry_run else f"run {report.run_id}"
    lines = [f"{report.connector}: {title}, {report.extraction} extraction, {report.duration_seconds:.2f} s"]
    c = report.changes
    if c is not None:
        lines.append(
            f"  extracted {c.extracted}: new {c.new}, changed {c.changed + c.restored}"
            f"{f' ({c.restored} restored)' if c.restored else ''}, unchanged {c.unchanged}"
        )
        verb = "would delete" if report.dry_run else "deleted"
        lines.append(f"  {verb} {c.deleted}, soft-deleted {c.soft_deleted} (of {c.known} known documents)")
    for item in report.skipped:
        lines.append(f"  skipped {item['count']}: {item['reason']}")
    if report.watermark_before or report.watermark_after:
        before = (report.watermark_before or {}).get("value", "none")
        after = (report.watermark_after or {}).get("value", "unchanged")
        lines.append(f"  watermark {before} -> {after}")
    if report.artifacts:
        lines.append(f"  artifacts {report.artifacts}")
    if report.delivery is not None:
        d = report.delivery
        lines.append(
            f"  delivered: upserted {d.upserted}, deleted {d.deleted}, {len(d.failed)} failed ({d.calls} calls)"
        )
        lines.extend(f"  failed {f.operation} {f.id}: {f.reason} (retried next run)" for f in d.failed[:10])
    for kind, ids in (report.preview or {}).items():
        lines.append(f"  would {kind}: {', '.join(ids)}{' ...' if len(ids) >= 10 else ''}")
    lines.extend(f"  note: {note}" for note in report.notes)
    return "\n".join(lines)
