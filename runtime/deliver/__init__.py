"""Run artifacts: written to a local folder, then published whole through a sink (file:// now, gs:// later)."""

from runtime.deliver.artifacts import ArtifactFiles, write_artifacts
from runtime.deliver.sink import ArtifactSink, Publication, sink_for

__all__ = ["ArtifactFiles", "ArtifactSink", "Publication", "sink_for", "write_artifacts"]
