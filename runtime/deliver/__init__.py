"""Run artifacts: written to a local folder, then published whole through a sink (file:// now, gs:// later)."""

from runtime.deliver.artifacts import finish_artifacts
from runtime.deliver.lines import LineWriter
from runtime.deliver.sink import ArtifactSink, Publication, sink_for

__all__ = ["ArtifactSink", "LineWriter", "Publication", "finish_artifacts", "sink_for"]
