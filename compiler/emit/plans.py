"""Writing plan files: `DIR/<name>.plan.json`, each replaced atomically, unchanged files left untouched; and
removing the plans of connectors that no longer exist."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from compiler.plan import Plan, dumps

SUFFIX = ".plan.json"


def plan_filename(name: str) -> str:
    return name + SUFFIX


def write_plans(out_dir: Path, plans: Iterable[Plan]) -> list[tuple[Path, bool]]:
    """Write every plan; returns (path, changed) per plan. A reader never sees a half-written file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, bool]] = []
    for plan in plans:
        target = out_dir / plan_filename(plan.name)
        data = dumps(plan)
        if target.is_file() and target.read_bytes() == data:
            written.append((target, False))
            continue
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # same directory, so the same filesystem: atomic
        written.append((target, True))
    return written


def _plan_inputs(path: Path) -> tuple[str, list[str]] | None:
    """(name, input paths) of a plan file, or None when it is not one of ours (then it is never removed)."""
    try:
        data = orjson.loads(path.read_bytes())
        name = data["name"]
        inputs = [str(item["path"]) for item in data["inputs"]]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return (name, inputs) if isinstance(name, str) and inputs else None


def remove_stale_plans(out_dir: Path, plans: Sequence[Plan], roots: Iterable[Path]) -> list[tuple[Path, str]]:
    """Remove plans in `out_dir` whose connector is gone: every input file it was compiled from was part of this
    build and no longer defines it, or no longer exists under any source root of this build. A plan compiled from
    files that still exist but were not built now is left alone. Returns (path, reason) per file removed."""
    current = {plan_filename(plan.name) for plan in plans}
    built = {item.path for plan in plans for item in plan.inputs}
    bases = list(dict.fromkeys(roots))
    removed: list[tuple[Path, str]] = []
    for path in sorted(out_dir.glob("*" + SUFFIX)):
        if path.name in current:
            continue
        found = _plan_inputs(path)
        if found is None:
            continue
        name, inputs = found
        if all(item in built for item in inputs):
            reason = f"connector {name!r} is no longer in {', '.join(inputs)}"
        elif not any((base / item).exists() for item in inputs for base in bases):
            reason = f"{', '.join(inputs)} no longer exist{'s' if len(inputs) == 1 else ''}"
        else:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append((path, reason))
    return removed
