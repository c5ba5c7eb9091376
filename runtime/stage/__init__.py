"""Stage extracted Arrow batches in the run's DuckDB: keys of every record, documents of changed ones."""

from runtime.stage.staging import (
    FreshWorkspaces,
    SharedWorkspaces,
    StageOptions,
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
    "StageOptions",
    "StageResult",
    "Workspaces",
    "open_workspace",
    "size_memory",
    "stage_batches",
    "stage_scan",
]
