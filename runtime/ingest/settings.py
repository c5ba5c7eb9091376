"""Delivery settings: limits and timings that are not part of a connector (the API's quotas are unverified here).

Defaults suit Google; tests and benchmarks pass their own. `DeliverySettings.from_env()` reads overrides from
`GEMINI_SYNC_DE_<NAME>` variables (e.g. `GEMINI_SYNC_DE_DELETE_RATE=500`), so an operator can tune a run
without a new plan.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from runtime.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    inline_batch: int = 100
    """Documents per inline import request (the API recommends at most 100)."""
    delete_concurrency: int = 8
    """Delete calls in flight at once."""
    delete_rate: float = 200.0
    """Delete calls started per second at most (0: no limit). Google's write quota is unverified: a setting."""
    write_concurrency: int = 8
    """Inline imports (or single-document writes while finding failed documents) in flight at once."""
    isolate_limit: int = 1000
    """Find which documents failed only when an import reports at most this many failures; past it, every
    document of that import stays pending (re-sent next run) and the run says why."""
    attempts: int = 8
    """Tries per call for transient errors (429, 500, 502, 503, 504, connection errors)."""
    retry_timeout: float = 300.0
    """Seconds of retrying one call at most."""
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    """Longest `Retry-After` honoured; a longer one is waited for this long."""
    call_timeout: float = 30.0
    """Seconds per HTTP call."""
    poll_initial: float = 0.5
    poll_max: float = 10.0
    import_timeout: float = 3600.0
    """Seconds to wait for one import operation to be done."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DeliverySettings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            name = f"GEMINI_SYNC_DE_{field.name.upper()}"
            if name in env:
                kind = int if field.type in ("int", int) else float
                try:
                    values[field.name] = kind(env[name])
                except ValueError:
                    raise ConfigError(f"{name}={env[name]!r} is not a number; unset it or give a number") from None
        return cls(**values)  # type: ignore[arg-type]
