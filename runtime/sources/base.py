"""The source seam: what every mode's extraction gives the engine, and what the engine gives it.

One run = one `Pull`. The engine (`runtime.run`) opens it with a `PullContext`, streams `batches()` into the
staging DuckDB, then asks for the `outcome()`; staging, the diff, the delete guard, artifacts, delivery and the
state commit are written once, for every mode. A source never writes state or artifacts itself: what it must
remember (a queue position, a file catalogue) goes into `PullOutcome.commit`, which the engine runs inside the
state transaction, so it is committed exactly when the run is.

Records come in one of two shapes (`Pull.record_format`):
  "columns"  typed Arrow columns, one per field (SQL rows, CSV/Parquet files). Fields are read by column name.
  "json"     one column `__record` holding each record as JSON text (HTTP pages, pushed events). Fields are
             read by dotted path (`author.email`) and metadata keeps each value's JSON type.
Either shape may add a column `__part` (text): the part of the source a record came from (a file's path).
A pull that knows a part is unchanged since the last run can skip reading it and name it in
`PullOutcome.carried_parts`: its known documents then count as seen, unchanged, and the snapshot stays complete.

A pull whose records DuckDB reads itself (CSV files through `read_csv`) may also offer them as one `Scan`: a
query the engine stages in place, so DuckDB reads and maps the records in one parallel pass instead of
handing them to Python as Arrow batches and scanning those back on one thread (`ScansInPlace`). The engine
falls back to `batches()` where it needs the records in Python (Jinja templates, a CSV export).

Failures: raise a `runtime.errors.RuntimeFailure` (SourceError for the source, MappingError for a record) whose
message names the page, file or record and says how to fix it, never a secret. Any failure before the commit
changes nothing: no delete, no watermark, no state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import duckdb
import pyarrow as pa

from compiler.plan import Plan
from runtime.state.watermark import Watermark

RecordFormat = Literal["columns", "json"]

RECORD_COLUMN = "__record"
"""The JSON text of one record (record format "json")."""
PART_COLUMN = "__part"
"""Optional: the part of the source a record came from (e.g. a file path)."""
CONTENT_COLUMN = "__content"
"""Optional (binary): the document's content itself (a whole file), used instead of the content template."""
CONTENT_URI_COLUMN = "__content_uri"
"""Optional (text): a `gs://` URI of the content, for content too large to send inline."""
MIME_TYPE_COLUMN = "__mime_type"
"""Optional (text): the content's mime type per record (with `__content` / `__content_uri`)."""
DOCUMENT_KEY = "__document"
"""In a "json" record: a whole document in the earlier tool's canonical push shape (`doc_id`, `title`, `content`,
`uri`, `mime_type`, `acl_users`, `acl_groups`, `metadata`), used as it is instead of the field mapping."""


@dataclass(frozen=True, slots=True)
class PullContext:
    """What a pull may know about the run. It reads, never writes, the state."""

    plan: Plan
    secrets: Mapping[str, str]
    """Resolved secret values by secret name (every secret of `plan.secrets`)."""
    checkpoint: Watermark | None
    """The committed watermark of the previous successful run, or None."""
    state: duckdb.DuckDBPyConnection
    """The run's DuckDB connection; the connector's state file is attached as `st` when `has_state`."""
    has_state: bool
    dry_run: bool
    progress: Callable[[int], None] | None = None
    """Call with the number of records read so far (a progress line on a terminal)."""
    source_root: Path | None = None
    """The connector repository the plan was built from (`runtime exec --source-root`): file_pull resolves a
    relative folder against it, never against the working directory."""
    notes: list[str] = field(default_factory=list)
    """Lines for the run report (e.g. 'resumed after 3 retries')."""
    state_dir: Path | None = None
    """The connector state folder (`--state-dir`): where a push connector's queue lives beside its state."""


class SourceCommit(Protocol):
    """A source's own state change, applied with the run's commit."""

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        """Inside the state transaction (`st` attached, writable): create and update the source's own tables,
        named `st.source_*`. Raise to abort the whole commit. The engine's staged tables are readable, `refused`
        among them (`runtime.state.refused`): documents delivery did not accept, which the state does not record
        as done, so the next run must produce them again."""
        ...

    def committed(self) -> None:
        """After the state committed and the run was marked committed: release what the run consumed (e.g.
        delete drained queue entries). Must be safe to skip: a crash here is repaired by the next run."""
        ...


@dataclass(frozen=True, slots=True)
class PullOutcome:
    """What the engine needs once the batches ran dry."""

    complete: bool
    """True when the batches (plus the carried parts) are a complete snapshot of the source: only then may an
    absent known document be deleted."""
    deletes: Sequence[str] = ()
    """Raw record ids the source deleted explicitly (push DELETE events), applied under the delete policy.
    Only ids of documents this connector knows are acted on."""
    carried_parts: Sequence[str] = ()
    """Parts not re-read because they are unchanged: their known documents count as seen and unchanged."""
    commit: SourceCommit | None = None


class Pull(Protocol):
    """One extraction of one run."""

    @property
    def record_format(self) -> RecordFormat: ...

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The records, in batches sharing one schema (at least one batch, possibly empty, for "columns")."""
        ...

    def outcome(self) -> PullOutcome:
        """Called once after `batches()` is exhausted without error."""
        ...

    def close(self) -> None:
        """Release connections and threads; called on success and failure (also mid-stream)."""
        ...


@dataclass(frozen=True, slots=True)
class ScanPart:
    """One query over the run's connection (`?` parameters bound from `params`): the records of one part."""

    sql: str
    params: Sequence[object]
    probe: str | None = None
    """The same records, read a little at a time (same parameters): for a sample of the first ones, which the
    full query would start reading on every thread (a 10-file CSV folder: 50 ms against 10 ms)."""


@dataclass(frozen=True, slots=True)
class Scan:
    """Every record of a pull as DuckDB queries, one per part (a file), all with the same columns, in the
    pull's record format. `failure` turns a DuckDB error raised while the engine runs them into the source's
    own error naming the file and line, or None when the error is not the source's (a mapping's)."""

    parts: Sequence[ScanPart]
    failure: Callable[[Exception], Exception | None]

    @property
    def sql(self) -> str:
        return " UNION ALL ".join(f"({part.sql})" for part in self.parts)

    @property
    def params(self) -> list[object]:
        return [value for part in self.parts for value in part.params]


@runtime_checkable
class ScansInPlace(Protocol):
    """A `Pull` that can offer its records as a `Scan` (see the module's doc)."""

    def scan(self) -> Scan | None:
        """The records as a `Scan`, or None to be read through `batches()`; then `outcome()` as after batches."""
        ...


OpenPull = Callable[[PullContext], Pull]
"""A mode's entry point: `runtime.sources.open_pull` dispatches on the plan's source kind."""


def json_records(records: Sequence[bytes] | Sequence[str], parts: Sequence[str] | None = None) -> pa.RecordBatch:
    """A "json" batch from JSON texts (bytes or str; must be UTF-8) and, optionally, each record's part."""
    arrays = [pa.array(records, pa.string())]
    names = [RECORD_COLUMN]
    if parts is not None:
        arrays.append(pa.array(parts, pa.string()))
        names.append(PART_COLUMN)
    return pa.RecordBatch.from_arrays(arrays, names=names)
