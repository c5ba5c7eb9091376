"""How much memory the run's DuckDB may use before it spills to disk.

The default is a quarter of the memory this process may use: the smaller of the machine's physical memory and
the cgroup limit of its container (a Kubernetes pod's memory limit), never below 512 MB (what 1 MiB documents
need; see docs/benchmarks.md). Override it with
`runtime exec --memory-limit MB` or `GEMINI_SYNC_MEMORY_LIMIT_MB`. Past the limit DuckDB spills to the run's
scratch folder; the limit is a ceiling, not an allocation.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.errors import ConfigError

MEMORY_ENV = "GEMINI_SYNC_MEMORY_LIMIT_MB"
MIN_MB = 512
SHARE = 0.25
_CGROUP_FILES = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def _physical_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        return None


def _cgroup_bytes() -> int | None:
    for path in _CGROUP_FILES:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max" or a huge number: no limit
            return int(text)
    return None


def default_memory_mb(environ: dict[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    explicit = env.get(MEMORY_ENV, "").strip()
    if explicit:
        return parse_memory_mb(explicit, MEMORY_ENV)
    limits = [b for b in (_physical_bytes(), _cgroup_bytes()) if b]
    if not limits:
        return 1024
    return max(MIN_MB, int(min(limits) * SHARE) >> 20)


def parse_memory_mb(text: str, where: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a whole number of megabytes (e.g. 2048)") from None
    if value < 64:
        raise ConfigError(f"{where}: {value} MB is too little for DuckDB to work in; give at least 64")
    return value
