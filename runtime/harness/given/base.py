"""What a mode's `given` hands the runner: the plan to run (its source pointed at the case's data) and the pull."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.plan import Plan
from runtime.sources.base import OpenPull


@dataclass(frozen=True, slots=True)
class HarnessRun:
    """The folders of one case: every run of the case shares the state and the bucket."""

    workdir: Path
    """Scratch space for this run's given data (files, a served API)."""
    state_dir: Path
    bucket: Path
    root: Path
    """The connector repository."""


@dataclass(frozen=True, slots=True)
class Prepared:
    plan: Plan
    open_pull: OpenPull
