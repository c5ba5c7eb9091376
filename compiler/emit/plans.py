"""Writing plan files: `DIR/<name>.plan.json`, each replaced atomically, unchanged files left untouched."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

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
