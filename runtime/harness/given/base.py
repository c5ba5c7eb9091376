"""What a mode's `given` hands the runner: the plan to run (its source pointed at the case's data) and the pull."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from compiler.plan import Plan
from runtime.errors import SourceError
from runtime.sources.base import OpenPull, Pull, PullOutcome, RecordFormat


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


class FailingPull:
    """The runtime's own pull, failing once its batches ran dry (`given.fail`): a partial extraction, every record
    staged and none committed."""

    def __init__(self, pull: Pull, failure: str, message: str) -> None:
        self.pull, self.failure, self.message = pull, failure, message

    @property
    def record_format(self) -> RecordFormat:
        return self.pull.record_format

    def batches(self) -> Iterator[pa.RecordBatch]:
        yield from self.pull.batches()
        raise SourceError(f"{self.failure} (given.fail): {self.message}")

    def outcome(self) -> PullOutcome:  # pragma: no cover - batches() always raises first
        return self.pull.outcome()

    def close(self) -> None:
        self.pull.close()
