"""Run artifacts: written to a local folder, then published through an `ObjectStore` (file:// or gs://) under
the commit protocol of `runtime.deliver.publish`."""

from runtime.deliver.artifacts import finish_artifacts
from runtime.deliver.lines import LineWriter
from runtime.deliver.store import ObjectStore, store_for

__all__ = ["LineWriter", "ObjectStore", "finish_artifacts", "store_for"]
