"""`GcsStore` through the official google-cloud-storage client against a local GCS emulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from runtime.deliver.gcs import GcsStore, parse_gs_uri
from runtime.deliver.store import store_for
from runtime.errors import ConfigError, StateError
from tests.deliver.emulators import GcsEmulator


def _recording(store: GcsStore) -> list[str]:
    """Record the URL of every request the client sends (a `requests` response hook on its session)."""
    urls: list[str] = []

    def hook(response: requests.Response, *args: object, **kwargs: object) -> None:
        urls.append(str(response.request.url))

    store.client._http.hooks["response"].append(hook)
    return urls


def test_store_for_gs_uri_is_a_gcs_store_on_the_emulator(gcs_bucket: str) -> None:
    store = store_for(f"gs://{gcs_bucket}/hr-employees")
    assert isinstance(store, GcsStore)
    assert store.base_uri == f"gs://{gcs_bucket}/hr-employees"
    assert store.uri("runs/r1/upserts.ndjson") == f"gs://{gcs_bucket}/hr-employees/runs/r1/upserts.ndjson"


def test_put_get_list_delete_round_trip(gcs_bucket: str, tmp_path: Path) -> None:
    store = GcsStore.from_uri(f"gs://{gcs_bucket}/conn")
    file = tmp_path / "upserts.ndjson"
    file.write_bytes(b'{"id":"a"}\n{"id":"b"}\n')
    store.put_file("runs/r2/upserts.ndjson", file, content_type="application/x-ndjson")
    store.put_bytes("runs/r1/manifest.json", b"{}", content_type="application/json")
    store.put_bytes("runs/r2/manifest.json", b'{"n":2}', content_type="application/json")
    store.put_bytes("other/x", b"x", content_type="text/plain")
    # Another connector's prefix that shares the first letters must never be listed.
    GcsStore.from_uri(f"gs://{gcs_bucket}/conn-2").put_bytes("runs/r0/manifest.json", b"{}", content_type="a/b")

    assert store.get_bytes("runs/r2/upserts.ndjson") == file.read_bytes()
    assert store.get_bytes("runs/r2/manifest.json") == b'{"n":2}'
    assert store.get_bytes("runs/missing") is None
    assert list(store.list("runs/")) == ["runs/r1/manifest.json", "runs/r2/manifest.json", "runs/r2/upserts.ndjson"]
    assert list(store.list("runs/", start_after="runs/r1/manifest.json")) == [
        "runs/r2/manifest.json",
        "runs/r2/upserts.ndjson",
    ]
    assert list(store.list("")) == [
        "other/x",
        "runs/r1/manifest.json",
        "runs/r2/manifest.json",
        "runs/r2/upserts.ndjson",
    ]
    store.delete("runs/r1/manifest.json")
    store.delete("runs/r1/manifest.json")  # absent is fine
    assert list(store.list("runs/r1/")) == []


def test_large_files_go_up_as_resumable_uploads_small_ones_in_one_request(gcs_bucket: str, tmp_path: Path) -> None:
    store = GcsStore.from_uri(f"gs://{gcs_bucket}/conn")
    urls = _recording(store)
    big = tmp_path / "big.ndjson"
    big.write_bytes(os.urandom(9 * 1024 * 1024))  # over the client's 8 MiB multipart limit
    store.put_file("runs/r/big.ndjson", big, content_type="application/x-ndjson")
    assert any("uploadType=resumable" in url for url in urls), urls
    urls.clear()
    store.put_bytes("runs/r/small.json", b"{}", content_type="application/json")
    assert any("uploadType=multipart" in url for url in urls), urls
    assert store.get_bytes("runs/r/big.ndjson") == big.read_bytes()


def test_a_corrupted_object_is_refused_on_read(gcs_bucket: str, gcs_emulator: GcsEmulator) -> None:
    store = GcsStore.from_uri(f"gs://{gcs_bucket}/conn")
    store.put_bytes("runs/r/upserts.ndjson", b'{"id":"a"}\n', content_type="application/x-ndjson")
    gcs_emulator.tamper(gcs_bucket, "conn/runs/r/upserts.ndjson", b'{"id":"b"}\n')
    with pytest.raises(StateError, match=r"cannot read gs://.*/conn/runs/r/upserts.ndjson: DataCorruption"):
        store.get_bytes("runs/r/upserts.ndjson")


def test_a_missing_bucket_is_one_line_naming_the_object(gcs_bucket: str) -> None:
    store = GcsStore.from_uri(f"gs://{gcs_bucket}-absent/conn")
    with pytest.raises(StateError, match=r"cannot upload gs://.*-absent/conn/runs/r/m.json: NotFound") as caught:
        store.put_bytes("runs/r/m.json", b"{}", content_type="application/json")
    assert "\n" not in str(caught.value)


def test_without_emulator_or_credentials_the_error_says_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(ConfigError, match="application-default login"):
        GcsStore.from_uri("gs://bucket/prefix")


@pytest.mark.parametrize(
    ("uri", "parts"),
    [("gs://b", ("b", "")), ("gs://b/", ("b", "")), ("gs://b/a/c/", ("b", "a/c"))],
)
def test_parse_gs_uri(uri: str, parts: tuple[str, str]) -> None:
    assert parse_gs_uri(uri) == parts


def test_parse_gs_uri_refuses_a_missing_bucket() -> None:
    with pytest.raises(ConfigError, match="bucket name is missing"):
        parse_gs_uri("gs:///prefix")


def test_delete_prefix_removes_one_run_folder_only(gcs_bucket: str) -> None:
    store = GcsStore.from_uri(f"gs://{gcs_bucket}/conn")
    for key in ("runs/r1/a", "runs/r1/b", "runs/r10/a", "runs/r2/a"):
        store.put_bytes(key, b"x", content_type="text/plain")
    store.delete_prefix("runs/r1/")
    assert list(store.list("runs/")) == ["runs/r10/a", "runs/r2/a"]
