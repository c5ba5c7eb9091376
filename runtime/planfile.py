"""Load a plan file and refuse what this runtime must not run: bad hash, other format version, stale inputs."""

from __future__ import annotations

from pathlib import Path

from compiler.plan import FileSource, HttpSource, Plan, PlanFormatError, PushSource, SqlSource, loads, stale_reason
from compiler.plan.codec import MAX_PLAN_BYTES
from compiler.plan.files import FileTooLarge, NotARegularFile, read_regular_file
from runtime.errors import ConfigError

SOURCE_OF_MODE: dict[str, type] = {
    "sql_pull": SqlSource,
    "rest_pull": HttpSource,
    "rest_push": PushSource,
    "file_pull": FileSource,
}
"""Each mode this runtime runs, and the plan source class it must carry (`runtime.sources.open_pull`)."""


def load_plan(path: Path, source_root: Path | None = None) -> Plan:
    """Read and verify `path`; with `source_root`, also check every input file's SHA-256 against the plan."""
    try:
        raw = read_regular_file(path, MAX_PLAN_BYTES)
    except (NotARegularFile, FileTooLarge) as exc:
        raise ConfigError(f"plan refused: {exc}; run compiler build") from None
    except OSError as exc:
        raise ConfigError(f"cannot read plan {path}: {exc.strerror or exc}") from None
    try:
        plan = loads(raw)
    except PlanFormatError as exc:
        raise ConfigError(f"plan {path} refused: {exc}; run compiler build") from None
    if source_root is not None:
        check_fresh(plan, source_root)
    expected = SOURCE_OF_MODE.get(plan.mode)
    if expected is None:
        raise ConfigError(
            f"plan {path}: mode {plan.mode} is not available yet in this runtime (it runs {', '.join(SOURCE_OF_MODE)})"
        )
    if not isinstance(plan.source, expected):
        raise ConfigError(
            f"plan {path} refused: mode {plan.mode} with a {type(plan.source).__name__}; run compiler build"
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
