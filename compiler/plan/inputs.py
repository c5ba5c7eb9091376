"""Is a plan still bound to its inputs? Compares each input file under a source root with its recorded hash.

For `runtime exec --source-root DIR`: a plan whose connector file changed since the build is stale and must be
refused ("plan is stale: connectors/x.yaml changed since it was compiled; run compiler build").
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from compiler.plan.model import Plan


def stale_inputs(plan: Plan, source_root: Path) -> tuple[str, ...]:
    """Relative paths of the plan's inputs that are missing under `source_root` or whose bytes changed."""
    stale: list[str] = []
    for item in plan.inputs:
        try:
            digest = hashlib.sha256((source_root / item.path).read_bytes()).hexdigest()
        except OSError:
            stale.append(item.path)
            continue
        if digest != item.sha256:
            stale.append(item.path)
    return tuple(stale)


def stale_reason(plan: Plan, source_root: Path) -> str | None:
    """The one-line refusal for a stale plan, or None when every input is unchanged."""
    stale = stale_inputs(plan, source_root)
    if not stale:
        return None
    first = stale[0]
    what = f"{first} changed since it was compiled" if (source_root / first).is_file() else f"{first} is gone"
    more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
    return f"plan is stale: {what}{more}; run compiler build"
