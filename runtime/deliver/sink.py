"""Where a run's artifact folder goes. One method to implement: `publish`.

A sink receives a finished local folder (`upserts.ndjson`, `deletes.ndjson`, `manifest.json`) and makes it
appear at `{base_uri}/runs/{run_id}/` all at once, returning a `Publication` that can take it back (used when
the state commit fails after publishing). A GCS sink uploads the files and deletes them in `retract`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runtime.errors import ConfigError, StateError


class Publication(Protocol):
    @property
    def uri(self) -> str:
        """Where the run's folder now is."""

    def retract(self) -> None:
        """Remove what `publish` put in place."""


class ArtifactSink(Protocol):
    def publish(self, run_id: str, folder: Path) -> Publication:
        """Move the finished local `folder` to `runs/<run_id>/` under the sink's base; all or nothing."""


@dataclass(frozen=True, slots=True)
class _FilePublication:
    uri: str
    path: Path

    def retract(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class FileSink:
    """`file://` base URIs: a folder on this machine (relative paths are relative to the current directory)."""

    base: Path

    def publish(self, run_id: str, folder: Path) -> Publication:
        runs = self.base / "runs"
        target = runs / run_id
        try:
            runs.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise StateError(f"artifacts for run {run_id} already exist at {target}")
            try:
                os.replace(folder, target)
            except OSError:
                # Another file system: copy next to the target first, so the final step is still one rename.
                partial = runs / f".partial-{run_id}"
                shutil.copytree(folder, partial)
                os.replace(partial, target)
        except OSError as exc:
            raise StateError(f"cannot write artifacts under {runs}: {exc}") from None
        return _FilePublication(uri=target.resolve().as_uri(), path=target)


def sink_for(base_uri: str) -> ArtifactSink:
    """The sink for a plan's `output.base_uri`."""
    if base_uri.startswith("file://"):
        rest = base_uri[len("file://") :]
        return FileSink(Path(rest) if rest else Path("."))
    if base_uri.startswith("gs://"):
        raise ConfigError(
            f"output {base_uri}: gs:// artifacts are not available yet in this runtime (they arrive with the"
            " delivery work); use a file:// bucket for now"
        )
    raise ConfigError(f"output {base_uri}: unsupported scheme; use file:// (or gs:// once delivery lands)")
