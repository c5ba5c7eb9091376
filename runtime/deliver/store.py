"""Where a connector's artifacts live: a bucket prefix seen as flat keys (`runs/<id>/upserts.ndjson`).

The commit protocol (`runtime.deliver.publish`) is written once over this small interface; each scheme only
implements object operations. `file://` is a folder on this machine (`FileStore`); `gs://` is Google Cloud
Storage through the official client (`runtime.deliver.gcs.GcsStore`).

Every write is whole or nothing: a reader never sees half an object. Keys use `/` and never start with one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from runtime.errors import ConfigError, StateError


class ObjectStore(Protocol):
    """A bucket prefix. Implementations raise `StateError` (one line, no secret) on any failure."""

    @property
    def base_uri(self) -> str:
        """`file:///abs/path/prefix` or `gs://bucket/prefix`, without a trailing slash."""
        ...

    def uri(self, key: str) -> str:
        """The URI of `key` (what a reader, or a Discovery Engine GCS import, is given)."""
        ...

    def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        """Upload the local file at `path` as `key`, whole or nothing, its checksum verified."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        """Write `data` as `key`, whole or nothing."""
        ...

    def get_bytes(self, key: str) -> bytes | None:
        """The content of `key`, or None when there is no such object."""
        ...

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[str]:
        """Keys under `prefix` in lexicographic order, only those greater than `start_after`."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; absent is fine."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under `prefix` (a folder-like `runs/<id>/`), including incomplete writes."""
        ...


class FileStore:
    """`file://` URIs: a folder on this machine. Writes go to a temp file, are fsynced, then renamed."""

    def __init__(self, base: Path) -> None:
        self.base = base

    @property
    def base_uri(self) -> str:
        return self.base.resolve().as_uri()

    def uri(self, key: str) -> str:
        return (self.base / key).resolve().as_uri()

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StateError(f"invalid artifact key {key!r}")  # a bug: keys are built by the runtime
        return self.base / key

    def _write(self, key: str, fill: _Filler) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    fill(out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
            _fsync_dir(target.parent)
        except OSError as exc:
            raise StateError(f"cannot write {self.uri(key)}: {exc.strerror or exc}") from None

    def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        if self._link(key, path):
            return

        def fill(out: _Writable) -> None:
            with open(path, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)

        self._write(key, fill)

    def _link(self, key: str, path: Path) -> bool:
        """On the same file system, publish `path` by a hard link (no copy of a large file); False if not."""
        target = self._path(key)
        temp = target.with_name(f".{target.name}.link.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp.unlink(missing_ok=True)
            os.link(path, temp)
        except OSError:
            return False
        try:
            _fsync(temp)
            os.replace(temp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise StateError(f"cannot write {self.uri(key)}: {exc.strerror or exc}") from None
        return True

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        self._write(key, lambda out: out.write(data))

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StateError(f"cannot read {self.uri(key)}: {exc.strerror or exc}") from None

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[str]:
        keys: list[str] = []
        start = self.base / prefix.rpartition("/")[0]  # walk only the folder the prefix names
        try:
            for root, dirs, files in os.walk(start):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if name.startswith("."):
                        continue  # temp files of a write in progress
                    key = Path(root, name).relative_to(self.base).as_posix()
                    if key.startswith(prefix) and key > start_after:
                        keys.append(key)
        except OSError as exc:
            raise StateError(f"cannot list {self.base_uri}: {exc.strerror or exc}") from None
        yield from sorted(keys)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
            # Empty folders left behind by deletes are removed up to the base.
            parent = path.parent
            while parent != self.base and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        except OSError as exc:
            raise StateError(f"cannot delete {self.uri(key)}: {exc.strerror or exc}") from None

    def delete_prefix(self, prefix: str) -> None:
        folder = self._path(prefix.rstrip("/"))
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StateError(f"cannot delete {self.uri(prefix)}: {exc.strerror or exc}") from None


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _Filler(Protocol):
    def __call__(self, out: _Writable, /) -> object: ...


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable: on POSIX the directory entry is only on disk once the directory is synced."""
    _fsync(folder)


def store_for(base_uri: str) -> ObjectStore:
    """The store for a plan's `output.base_uri` (`file://...` or `gs://bucket/prefix`)."""
    if base_uri.startswith("file://"):
        rest = base_uri[len("file://") :]
        return FileStore(Path(rest) if rest else Path("."))
    if base_uri.startswith("gs://"):
        from runtime.deliver.gcs import GcsStore

        return GcsStore.from_uri(base_uri)
    raise ConfigError(f"output {base_uri}: unsupported scheme; use gs://bucket or file://folder")
