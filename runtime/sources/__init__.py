"""Sources: one `Pull` per run, whatever the mode (see `runtime.sources.base` for the seam).

`open_pull` is the only dispatch on the plan's source kind, and it is exhaustive: a plan kind this runtime does
not know is a type error here, never a silent fallback.
"""

from __future__ import annotations

from typing import assert_never

from compiler.plan import FileSource, HttpSource, PushSource, SqlSource
from runtime.errors import ConfigError
from runtime.sources.base import (
    PART_COLUMN,
    RECORD_COLUMN,
    Pull,
    PullContext,
    PullOutcome,
    RecordFormat,
    SourceCommit,
    json_records,
)

__all__ = [
    "PART_COLUMN",
    "RECORD_COLUMN",
    "Pull",
    "PullContext",
    "PullOutcome",
    "RecordFormat",
    "SourceCommit",
    "json_records",
    "open_pull",
]


def open_pull(context: PullContext) -> Pull:
    """The pull for this run of `context.plan`."""
    source = context.plan.source
    if isinstance(source, SqlSource):
        from runtime.sources.sql import open_sql_pull

        return open_sql_pull(context, source)
    if isinstance(source, HttpSource):
        from runtime.sources.http import open_http_pull

        return open_http_pull(context, source)
    if isinstance(source, PushSource):
        from runtime.push.drain import open_push_pull

        if context.state_dir is None:
            raise ConfigError(f"plan {context.plan.name}: a push drain needs the state folder that holds its queue")
        return open_push_pull(context, source, context.state_dir)
    if isinstance(source, FileSource):
        from runtime.sources.files import open_file_pull

        return open_file_pull(context, source)
    assert_never(source)
