"""The emulator's settings (CLI flags map onto these one to one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runtime.emulator.discoveryengine.faults import Faults


@dataclass
class EmulatorConfig:
    content_required: bool = False
    """Data stores created on first use require content (`contentConfig: CONTENT_REQUIRED`) or refuse it."""
    persist: Path | None = None
    """Keep documents in this JSON file across restarts; None keeps them for the life of the process."""
    inline_limit: int = 100
    strict_inline: bool = True
    """Refuse inline imports over `inline_limit` documents (the API's advice, enforced)."""
    polls_until_done: int = 1
    """GETs of a finished operation that still answer `done: false` (clients must poll)."""
    faults: Faults = field(default_factory=Faults)
