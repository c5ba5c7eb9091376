"""One DuckDB file per connector: known documents, the typed watermark, and the run log."""

from runtime.state.store import StateStore
from runtime.state.watermark import Watermark

__all__ = ["StateStore", "Watermark"]
