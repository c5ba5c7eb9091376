"""Load a plan file and refuse what this runtime must not run: bad hash, other format version, stale inputs."""

from __future__ import annotations

from pathlib import Path

from compiler.plan import Plan, PlanFormatError, loads, stale_reason
from runtime.errors import ConfigError

RUNNABLE_MODES = ("sql_pull", "file_pull")
"""Modes whose source this runtime can open (`runtime.sources.open_pull`); others are refused up front."""


def load_plan(path: Path, source_root: Path | None = None) -> Plan:
    """Read and verify `path`; with `source_root`, also check every input file's SHA-256 against the plan."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read plan {path}: {exc.strerror or exc}") from None
    try:
        plan = loads(raw)
    except PlanFormatError as exc:
        raise ConfigError(f"plan {path} refused: {exc}; run compiler build") from None
    if source_root is not None:
        check_fresh(plan, source_root)
    if plan.mode not in RUNNABLE_MODES:
        raise ConfigError(
            f"plan {path}: mode {plan.mode} is not available yet in this runtime (it runs {', '.join(RUNNABLE_MODES)})"
        )
    return plan


def check_fresh(plan: Plan, source_root: Path) -> None:
    """Refuse a plan compiled from connector files that have changed since (like a stale Terraform plan)."""
    reason = stale_reason(plan, source_root)
    if reason is not None:
        raise ConfigError(reason)


def plan_work_tree(path: Path) -> Path | None:
    """The git work tree holding the plan file (the nearest folder upwards with a `.git`), or None: the default
    source root, as the compiler's is the work tree holding the connector file."""
    start = path.resolve().parent
    return next((folder for folder in (start, *start.parents) if (folder / ".git").exists()), None)
