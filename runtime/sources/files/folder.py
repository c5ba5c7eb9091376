"""Where a file pull's files are: a folder on this machine, or a `gs://` bucket prefix, behind one small interface.

A folder lists the files matching the plan's glob (names directly inside it, `fnmatch` rules; a name starting with
`.` only matches a pattern starting with `.`, so writers' temp files are left alone), tells a file's content hash,
and hands DuckDB a local path to read. `file_path`, the name every record and the catalogue use, is the folder as
the plan writes it joined with the file name (or the object's `gs://` uri): the same on every machine.
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import xxhash

from compiler.plan import FileSource
from runtime.errors import ConfigError, SourceError

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One matching file, as listed (before it is read)."""

    path: str
    """`file_path`: stable across machines (see the module docstring)."""
    name: str
    size: int
    mtime_ns: int

    @property
    def mtime_iso(self) -> str:
        """`file_mtime`: UTC, ISO 8601 with microseconds (so text order is time order)."""
        moment = EPOCH + datetime.timedelta(microseconds=self.mtime_ns // 1000)  # exact: no float rounding
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Folder(Protocol):
    """The files of one plan's folder."""

    @property
    def location(self) -> str:
        """The folder for messages (a resolved local path or a `gs://` prefix)."""
        ...

    def list(self) -> Sequence[FileEntry]:
        """The matching files, sorted by name. Raises SourceError when the folder cannot be listed."""
        ...

    def content_hash(self, entry: FileEntry) -> str:
        """A hash of the file's bytes (`xxh3-128:...` locally; the object's MD5 or CRC32C in a bucket)."""
        ...

    def local_copy(self, entry: FileEntry) -> contextlib.AbstractContextManager[Path]:
        """A local path with the file's bytes, for DuckDB's readers (the file itself, or a downloaded copy)."""
        ...

    def read_bytes(self, entry: FileEntry) -> bytes: ...

    def content_uri(self, entry: FileEntry) -> str | None:
        """A `gs://` uri the data store can read the content from, or None (a local file)."""
        ...

    def unchanged_since_listed(self, entry: FileEntry) -> bool:
        """Whether the file still has the size and time it was listed with (checked after reading it)."""
        ...


def matches(name: str, pattern: str) -> bool:
    """The glob rule: `fnmatch` on the name, case-sensitive; hidden names need a pattern that starts with a dot."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


class LocalFolder:
    """A folder on this machine."""

    def __init__(self, base: Path, shown: str, pattern: str) -> None:
        self.base = base
        self.shown = shown
        """The folder as the plan writes it, for `file_path` (`exports/hr`, `/srv/drop`)."""
        self.pattern = pattern

    @property
    def location(self) -> str:
        return str(self.base)

    def _file_path(self, name: str) -> str:
        return name if self.shown in ("", ".") else f"{self.shown.rstrip('/')}/{name}"

    def list(self) -> Sequence[FileEntry]:
        entries: list[FileEntry] = []
        try:
            with os.scandir(self.base) as scan:
                for item in scan:
                    if not matches(item.name, self.pattern) or not item.is_file():
                        continue
                    stat = item.stat()
                    entries.append(FileEntry(self._file_path(item.name), item.name, stat.st_size, stat.st_mtime_ns))
        except FileNotFoundError:
            raise SourceError(
                f"folder {self.base} does not exist; create it, or fix spec.source.path (nothing was deleted)"
            ) from None
        except NotADirectoryError:
            raise SourceError(f"{self.base} is not a folder; point spec.source.path at a folder") from None
        except OSError as exc:
            raise SourceError(f"cannot list folder {self.base}: {exc.strerror or exc}") from None
        return sorted(entries, key=lambda entry: entry.name)

    def _path(self, entry: FileEntry) -> Path:
        return self.base / entry.name

    def content_hash(self, entry: FileEntry) -> str:
        # XXH3-128, not SHA-256: an unchanged re-sync hashes every byte of the folder, and at ~10 GB/s (SHA-256:
        # under 1 GB/s here) that stays a fraction of the run. A change detector, not a signature: whoever can
        # write the folder can change its documents anyway.
        digest = xxhash.xxh3_128()
        try:
            with open(self._path(entry), "rb") as handle:
                while chunk := handle.read(HASH_CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            raise SourceError(f"cannot read file {entry.path}: {exc.strerror or exc}") from None
        return "xxh3-128:" + digest.hexdigest()

    @contextlib.contextmanager
    def local_copy(self, entry: FileEntry) -> Iterator[Path]:
        yield self._path(entry)

    def read_bytes(self, entry: FileEntry) -> bytes:
        try:
            return self._path(entry).read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read file {entry.path}: {exc.strerror or exc}") from None

    def content_uri(self, entry: FileEntry) -> str | None:
        return None

    def unchanged_since_listed(self, entry: FileEntry) -> bool:
        try:
            stat = self._path(entry).stat()
        except OSError:
            return False
        return stat.st_size == entry.size and stat.st_mtime_ns == entry.mtime_ns


def open_folder(source: FileSource, source_root: Path | None, plan_name: str) -> Folder:
    """The folder of `source`: a relative local path joins the source root, never the working directory."""
    if source.storage == "gcs":
        from runtime.sources.files.gcs import GcsFolder

        return GcsFolder.from_uri(source.folder, source.glob)
    if not source.relative_to_source_root:
        return LocalFolder(Path(source.folder), source.folder, source.glob)
    if source_root is None:
        raise ConfigError(
            f"plan {plan_name} reads the folder {source.folder!r} relative to the connector's repository; pass"
            " --source-root DIR (the checkout the plan was built from)"
        )
    return LocalFolder(source_root / source.folder, source.folder, source.glob)
