"""`gs://` artifact stores: Google Cloud Storage through the official `google-cloud-storage` client.

Credentials are Application Default Credentials (cloud-platform scope). When `STORAGE_EMULATOR_HOST` is set
(`http://127.0.0.1:9023`, scheme included, as Google's clients expect) the client talks to that emulator with
anonymous credentials instead, and no credentials are looked up.

Uploads: the client sends files over 8 MiB as resumable uploads (smaller ones in one multipart request) and
verifies their CRC32C against what the server stored; a mismatch is an error, never a silently bad object. A GCS
object only becomes visible once its upload is finalised, so every write is whole or nothing. Downloads verify
CRC32C too. Transient failures are retried by the client's own policy (`DEFAULT_RETRY`: 429, 5xx, connection
errors, exponential backoff); rewriting an artifact with the same bytes is harmless, so retrying is safe.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.errors import ConfigError, StateError

if TYPE_CHECKING:
    from google.cloud.storage import Bucket, Client

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
EMULATOR_PROJECT = "local-emulator"


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/a/b` -> (`bucket`, `a/b`); the prefix has no leading or trailing slash."""
    if not uri.startswith("gs://"):
        raise ConfigError(f"{uri}: not a gs:// URI; write gs://bucket/prefix")
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    if not bucket:
        raise ConfigError(f"{uri}: the bucket name is missing; write gs://bucket/prefix")
    return bucket, prefix.strip("/")


def storage_client() -> Client:
    """The official client: emulator + anonymous credentials when STORAGE_EMULATOR_HOST is set, else ADC."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    if os.environ.get(EMULATOR_ENV):
        anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
        return storage.Client(project=EMULATOR_PROJECT, credentials=anonymous)
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, project = google.auth.default(scopes=[SCOPE])
    except DefaultCredentialsError as exc:
        raise ConfigError(
            f"no Google credentials for gs:// artifacts ({_first_line(exc)}); run `gcloud auth application-default"
            f" login`, set GOOGLE_APPLICATION_CREDENTIALS, or set {EMULATOR_ENV} to use a local emulator"
        ) from None
    return storage.Client(project=project, credentials=credentials)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _failure(action: str, uri: str, exc: BaseException) -> StateError:
    return StateError(f"cannot {action} {uri}: {type(exc).__name__}: {_first_line(exc)}")


class GcsStore:
    """A `gs://bucket/prefix` seen as flat keys (see `runtime.deliver.store.ObjectStore`)."""

    def __init__(self, client: Client, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket_name = bucket
        self.prefix = prefix.strip("/")
        self._bucket: Bucket = client.bucket(bucket)

    @classmethod
    def from_uri(cls, base_uri: str, client: Client | None = None) -> GcsStore:
        bucket, prefix = parse_gs_uri(base_uri)
        return cls(client or storage_client(), bucket, prefix)

    @property
    def base_uri(self) -> str:
        return f"gs://{self.bucket_name}/{self.prefix}" if self.prefix else f"gs://{self.bucket_name}"

    def _name(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StateError(f"invalid artifact key {key!r}")  # a bug: keys are built by the runtime
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, key: str) -> str:
        return f"gs://{self.bucket_name}/{self._name(key)}"

    def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        from google.cloud.storage.retry import DEFAULT_RETRY

        blob = self._bucket.blob(self._name(key))
        try:
            blob.upload_from_filename(str(path), content_type=content_type, checksum="crc32c", retry=DEFAULT_RETRY)
        except Exception as exc:  # API errors, transport errors, DataCorruption: all one line
            raise _failure("upload", self.uri(key), exc) from None
        self._check_size(key, blob, path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        from google.cloud.storage.retry import DEFAULT_RETRY

        blob = self._bucket.blob(self._name(key))
        try:
            blob.upload_from_string(data, content_type=content_type, checksum="crc32c", retry=DEFAULT_RETRY)
        except Exception as exc:
            raise _failure("upload", self.uri(key), exc) from None
        self._check_size(key, blob, len(data))

    def _check_size(self, key: str, blob: Any, expected: int) -> None:
        # The CRC32C check covers the bytes; the size check also catches a server that stored nothing at all.
        if blob.size is not None and int(blob.size) != expected:
            raise StateError(f"upload of {self.uri(key)} stored {blob.size} bytes, expected {expected}")

    def get_bytes(self, key: str) -> bytes | None:
        from google.api_core.exceptions import NotFound

        blob = self._bucket.blob(self._name(key))
        try:
            data: bytes = blob.download_as_bytes(checksum="crc32c")
        except NotFound:
            return None
        except Exception as exc:
            raise _failure("read", self.uri(key), exc) from None
        return data

    def list(self, prefix: str, *, start_after: str = "") -> Iterator[str]:
        full_prefix = self._name(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        start = f"{self.prefix}/{start_after}" if self.prefix and start_after else start_after
        try:
            # `startOffset` is inclusive (and ignored by some emulators), so `> start_after` is checked here too.
            # GCS lists in lexicographic order; sorting the (small) listing makes every server agree with it.
            names = sorted(
                blob.name
                for blob in self.client.list_blobs(self.bucket_name, prefix=full_prefix, start_offset=start or None)
                if blob.name.startswith(full_prefix) and blob.name > start
            )
        except Exception as exc:
            raise _failure("list", f"gs://{self.bucket_name}/{full_prefix}", exc) from None
        for name in names:
            yield name[strip:]

    def delete_prefix(self, prefix: str) -> None:
        """Every object under `prefix` (a GCS object only exists once its upload finished, so there are no
        half-written ones to find; an interrupted resumable upload simply expires)."""
        for key in list(self.list(prefix.rstrip("/") + "/")):
            self.delete(key)

    def delete(self, key: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self._bucket.blob(self._name(key)).delete()
        except NotFound:
            return
        except Exception as exc:
            raise _failure("delete", self.uri(key), exc) from None
