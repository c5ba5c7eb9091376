"""Stage extracted Arrow batches in the run's DuckDB: keys of every record, documents of changed ones."""

from runtime.stage.staging import (
    FreshWorkspaces,
    SharedWorkspaces,
    StageResult,
    Workspaces,
    open_workspace,
    size_memory,
    stage_batches,
    stage_scan,
)

__all__ = [
    "FreshWorkspaces",
    "SharedWorkspaces",
    "StageResult",
    "Workspaces",
    "open_workspace",
    "size_memory",
    "stage_batches",
    "stage_scan",
]
