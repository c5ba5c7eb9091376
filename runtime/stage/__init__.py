"""Stage extracted Arrow batches in the run's DuckDB: keys of every record, documents of changed ones."""

from runtime.stage.staging import StageResult, open_workspace, size_memory, stage_batches

__all__ = ["StageResult", "open_workspace", "size_memory", "stage_batches"]
