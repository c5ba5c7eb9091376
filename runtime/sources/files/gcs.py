"""`gs://` folders: the objects directly under a bucket prefix, listed and read with google-cloud-storage.

The client is the runtime's own (`runtime.deliver.gcs.storage_client`): Application Default Credentials, or the
emulator named by `STORAGE_EMULATOR_HOST`. The folder's files are the objects whose name is the prefix, a `/` and
a name without `/` (listed with the `/` delimiter: a "sub-folder" is never read), filtered by the same glob rule
as a local folder (`folder.matches`).

A listed object keeps its generation, size and `updated` time: `mtime_ns` is `updated`, and the content hash is
the object's stored MD5 (`md5:<hex>`), or its CRC32C (`crc32c:<hex>`) for a composite object that has no MD5, so
an unchanged folder is re-synced from the listing alone, without downloading any object. A read asks for the
listed generation (`ifGenerationMatch`) and checks the bytes it got against the listed size and CRC32C: an
object replaced meanwhile fails the run as "changed while it was read", never a mix of two versions.

Every failure is one line (`SourceError`) naming the folder or the object; messages carry the API's first line,
never a header or a credential.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.deliver.gcs import parse_gs_uri, storage_client
from runtime.errors import SourceError
from runtime.optional import require
from runtime.sources.files.folder import EPOCH, FileEntry, matches

if TYPE_CHECKING:
    from google.cloud.storage import Client


@dataclass(frozen=True, slots=True)
class Listed:
    """What the listing said about one object (kept to check reads and `unchanged_since_listed`)."""

    name: str
    generation: int
    size: int
    updated: datetime.datetime | None
    md5: str | None
    crc32c: str | None


def _hex(b64: str | None) -> str | None:
    return base64.b64decode(b64).hex() if b64 else None


def _mtime_ns(updated: datetime.datetime | None) -> int:
    if updated is None:
        return 0
    return (updated - EPOCH) // datetime.timedelta(microseconds=1) * 1000  # exact: no float rounding


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class GcsFolder:
    """The objects directly under `gs://bucket/prefix` that match the glob."""

    def __init__(self, client: Client, bucket: str, prefix: str, pattern: str) -> None:
        self.client = client
        self.bucket_name = bucket
        self.prefix = prefix.strip("/")
        self.pattern = pattern
        self._bucket = client.bucket(bucket)
        self._listed: dict[str, Listed] = {}

    @classmethod
    def from_uri(cls, uri: str, pattern: str, client: Client | None = None) -> GcsFolder:
        require("google.cloud.storage")  # without the `gcs` extra: one line naming it, not a traceback
        bucket, prefix = parse_gs_uri(uri)
        return cls(client or storage_client(), bucket, prefix, pattern)

    @property
    def location(self) -> str:
        return f"gs://{self.bucket_name}/{self.prefix}" if self.prefix else f"gs://{self.bucket_name}"

    def _name_prefix(self) -> str:
        return f"{self.prefix}/" if self.prefix else ""

    def list(self) -> Sequence[FileEntry]:
        from google.api_core.exceptions import Forbidden, NotFound

        start = self._name_prefix()
        entries: list[FileEntry] = []
        listed: dict[str, Listed] = {}
        try:
            for blob in self.client.list_blobs(self.bucket_name, prefix=start, delimiter="/"):
                name = str(blob.name)[len(start) :]
                if not str(blob.name).startswith(start) or not name or "/" in name or not matches(name, self.pattern):
                    continue  # the prefix's own "folder" object, or (from a lax server) a deeper one
                info = Listed(
                    name=str(blob.name),
                    generation=int(blob.generation or 0),
                    size=int(blob.size or 0),
                    updated=blob.updated,
                    md5=_hex(blob.md5_hash),
                    crc32c=_hex(blob.crc32c),
                )
                uri = f"gs://{self.bucket_name}/{info.name}"
                listed[uri] = info
                entries.append(FileEntry(uri, name, info.size, _mtime_ns(info.updated)))
        except NotFound:
            raise SourceError(
                f"cannot list folder {self.location}: the bucket {self.bucket_name} does not exist (or is not"
                " visible to these credentials); fix spec.source.path (nothing was deleted)"
            ) from None
        except Forbidden:
            raise SourceError(
                f"cannot list folder {self.location}: permission denied; grant the runtime's identity"
                " storage.objects.list on the bucket (nothing was deleted)"
            ) from None
        except Exception as exc:  # API errors, transport errors: all one line
            raise SourceError(
                f"cannot list folder {self.location}: {type(exc).__name__}: {_first_line(exc)} (nothing was deleted)"
            ) from None
        self._listed = listed
        return sorted(entries, key=lambda entry: entry.name)

    def _info(self, entry: FileEntry) -> Listed:
        info = self._listed.get(entry.path)
        if info is None:
            raise SourceError(f"internal error: {entry.path} was not listed by {self.location}")
        return info

    def content_hash(self, entry: FileEntry) -> str:
        info = self._info(entry)
        if info.md5:
            return "md5:" + info.md5
        if info.crc32c:
            return "crc32c:" + info.crc32c
        # Cloud Storage gives every object a CRC32C; a server that gives neither makes the file always re-read.
        return f"generation:{info.generation}"

    def _changed(self, entry: FileEntry) -> SourceError:
        return SourceError(
            f"file {entry.path} changed while it was read; run again once writers are done (nothing was changed)"
        )

    def _read_failure(self, entry: FileEntry, exc: BaseException) -> SourceError:
        from google.api_core.exceptions import NotFound, PreconditionFailed

        if isinstance(exc, PreconditionFailed | NotFound):
            return self._changed(entry)
        return SourceError(f"cannot read file {entry.path}: {type(exc).__name__}: {_first_line(exc)}")

    def _check(self, entry: FileEntry, info: Listed, data_size: int, crc32c: str | None) -> None:
        """The bytes read are the listed object's: its size, and its CRC32C when the listing had one."""
        if data_size != info.size or (info.crc32c is not None and crc32c != info.crc32c):
            raise self._changed(entry)

    @contextlib.contextmanager
    def local_copy(self, entry: FileEntry) -> Iterator[Path]:
        import google_crc32c

        info = self._info(entry)
        with tempfile.TemporaryDirectory(prefix="gemini-sync-gcs-") as tmp:
            path = Path(tmp) / entry.name  # the object's own name: a reader sees the same extension
            blob = self._bucket.blob(info.name)
            try:
                blob.download_to_filename(str(path), if_generation_match=info.generation or None, checksum="crc32c")
            except Exception as exc:
                raise self._read_failure(entry, exc) from None
            checksum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    checksum.update(chunk)  # type: ignore[no-untyped-call]
            self._check(entry, info, path.stat().st_size, checksum.digest().hex())  # type: ignore[no-untyped-call]
            yield path

    def read_bytes(self, entry: FileEntry) -> bytes:
        import google_crc32c

        info = self._info(entry)
        blob = self._bucket.blob(info.name)
        try:
            data: bytes = blob.download_as_bytes(if_generation_match=info.generation or None, checksum="crc32c")
        except Exception as exc:
            raise self._read_failure(entry, exc) from None
        self._check(entry, info, len(data), google_crc32c.Checksum(data).digest().hex())  # type: ignore[no-untyped-call]
        return data

    def content_uri(self, entry: FileEntry) -> str | None:
        return entry.path

    def unchanged_since_listed(self, entry: FileEntry) -> bool:
        from google.api_core.exceptions import NotFound

        info = self._info(entry)
        try:
            blob: Any = self._bucket.get_blob(info.name)
        except NotFound:
            return False
        except Exception as exc:
            raise SourceError(
                f"cannot check file {entry.path} after reading it: {type(exc).__name__}: {_first_line(exc)}"
            ) from None
        if blob is None:
            return False
        return (int(blob.generation or 0), int(blob.size or 0), blob.updated) == (
            info.generation,
            info.size,
            info.updated,
        )
