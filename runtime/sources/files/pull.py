"""`file_pull`: the files matching the glob are the snapshot; unchanged ones are carried, not parsed again.

A file is unchanged when the catalogue of the last committed run has it with the same size, modification time
and content hash, read the same way (see `catalogue`). Its known documents then count as seen (`carried_parts`)
and the run is still a complete snapshot: a file that disappeared turns its documents into deletes under the
policy, and no matching file at all is an empty snapshot, which the delete guard stops like an empty query.
A file that changes while it is read fails the run, as does any file that cannot be read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from compiler.plan import FileSource, Plan
from runtime.errors import SourceError
from runtime.sources.base import PullContext, PullOutcome, RecordFormat, Scan
from runtime.sources.files.catalogue import CatalogueCommit, CatalogueEntry, load_catalogue, reader_fingerprint
from runtime.sources.files.folder import FileEntry, Folder
from runtime.sources.files.rows import Wanted, csv_scan, row_batches
from runtime.sources.files.whole import whole_batches


def mapped_fields(plan: Plan) -> list[str]:
    """The record fields the mapping (and the watermark) reads: all a row record needs to carry."""
    mapping = plan.mapping
    names = [mapping.id.field, mapping.title_field, mapping.acl_users_field, mapping.acl_groups_field]
    names += [*mapping.metadata_fields, plan.extraction.watermark_field]
    for template in (mapping.content, mapping.uri):
        names += list(template.variables) if template is not None else []
    return [name for name in dict.fromkeys(names) if name is not None]


HASH_THREADS = 2
"""Files hashed at a time: xxhash releases the GIL, so two threads hash a folder in about half the time."""


class _Hashes:
    """Content hashes, computed on worker threads from `start` on; `of` waits for one (a failure raises there)."""

    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.pool = ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="file-hash")
        self.started: dict[str, Future[str]] = {}

    def start(self, entries: Sequence[FileEntry]) -> None:
        for entry in entries:
            self.started[entry.path] = self.pool.submit(self.folder.content_hash, entry)

    def of(self, entry: FileEntry) -> str:
        return self.started[entry.path].result()

    def __enter__(self) -> _Hashes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class _Listing:
    entries: Sequence[FileEntry]
    changed: list[FileEntry]
    """To read: new, changed, or read another way than last time."""
    carried: list[str]


class FilePull:
    def __init__(self, context: PullContext, source: FileSource, folder: Folder) -> None:
        self.context, self.source, self.folder = context, source, folder
        self.con = context.state.cursor()  # its own connection: the engine writes on the run's one meanwhile
        self.reader = reader_fingerprint(context.plan)
        self._held = contextlib.ExitStack()  # the hashing threads, and the local copies a scan reads
        self._hashes = self._held.enter_context(_Hashes(folder))
        self._listed: _Listing | None = None
        self._scanned = False
        self._outcome: PullOutcome | None = None

    @property
    def record_format(self) -> RecordFormat:
        return "json" if self.source.format == "ndjson" and self.source.document_mode == "row" else "columns"

    def _listing(self) -> _Listing:
        """The matching files, and which of them to read; once per run. Only a file listed with its catalogued
        size and time can be carried, so those are hashed first, and the run waits for them; the others are read
        whatever their hash, which only the new catalogue needs: they are hashed while the files are read."""
        if self._listed is not None:
            return self._listed
        entries = self.folder.list()
        known = load_catalogue(self.con, self.context.has_state, self.reader)

        def as_catalogued(entry: FileEntry) -> bool:
            last = known.get(entry.path)
            return last is not None and (last.size_bytes, last.mtime_ns) == (entry.size, entry.mtime_ns)

        candidates = [entry for entry in entries if as_catalogued(entry)]
        self._hashes.start([*candidates, *(entry for entry in entries if not as_catalogued(entry))])  # in order
        carried = {entry.path for entry in candidates if self._hashes.of(entry) == known[entry.path].content_hash}
        changed = [entry for entry in entries if entry.path not in carried]
        self._listed = _Listing(entries, changed, [entry.path for entry in entries if entry.path in carried])
        return self._listed

    def _wanted(self) -> Wanted:
        return Wanted(mapped_fields(self.context.plan), self.context.plan.mapping.id.field)

    def scan(self) -> Scan | None:
        """CSV rows, for the engine to stage in place (the other formats and whole files come as batches)."""
        if self.source.format != "csv" or self.source.document_mode != "row" or self.source.csv is None:
            return None
        listing = self._listing()
        files = [(entry, self._held.enter_context(self.folder.local_copy(entry))) for entry in listing.changed]
        scan = csv_scan(self.con, files, self.source.csv, self._wanted())
        self._scanned = scan is not None
        return scan

    def batches(self) -> Iterator[pa.RecordBatch]:
        listing = self._listing()
        if self.source.document_mode == "row":
            batches = row_batches(self.con, self.source, self.folder, listing.changed, self._wanted())
        else:
            batches = whole_batches(self.con, self.source, self.folder, listing.changed)
        records = 0
        for batch in batches:
            records += batch.num_rows
            if self.context.progress is not None:
                self.context.progress(records)
            yield batch
        self._finish(listing)

    def _finish(self, listing: _Listing) -> None:
        """After every changed file was read: none may have changed meanwhile."""
        moved = [entry.path for entry in listing.changed if not self.folder.unchanged_since_listed(entry)]
        if moved:
            raise SourceError(
                f"file {moved[0]} changed while it was read; run again once writers are done (nothing was changed)"
            )
        self.context.notes.append(
            f"{len(listing.entries)} file(s) in {self.folder.location} match {self.source.glob!r}:"
            f" {len(listing.changed)} read, {len(listing.carried)} unchanged since the last run"
        )
        catalogue = [CatalogueEntry(e.path, e.size, e.mtime_ns, self._hashes.of(e)) for e in listing.entries]
        self._outcome = PullOutcome(
            complete=True, carried_parts=tuple(listing.carried), commit=CatalogueCommit(catalogue, self.reader)
        )

    def outcome(self) -> PullOutcome:
        if self._outcome is None and self._scanned and self._listed is not None:
            self._finish(self._listed)  # the engine has run the scan
        if self._outcome is None:
            raise SourceError("internal error: the file pull's outcome was asked before its batches ran dry")
        return self._outcome

    def close(self) -> None:
        try:
            self._held.close()
        finally:
            self.con.close()
