"""Secret redaction and the file:// artifact store, in isolation."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.deliver.store import FileStore, store_for
from runtime.errors import ConfigError
from runtime.redact import redact


@pytest.mark.parametrize(
    "text",
    [
        "failed: postgresql://svc:p%40ss%2Fw0rd@db:5432/hr",
        "password p@ss/w0rd rejected",
        "password p%40ss%2Fw0rd rejected",
    ],
)
def test_redact_removes_every_form_of_a_url_password(text: str) -> None:
    secret = "postgresql://svc:p%40ss%2Fw0rd@db:5432/hr"
    cleaned = redact(text, [secret])
    assert "p@ss/w0rd" not in cleaned
    assert "p%40ss%2Fw0rd" not in cleaned
    assert "***" in cleaned


def test_redact_leaves_other_text_alone() -> None:
    assert redact("nothing secret here", ["a-long-token-value"]) == "nothing secret here"


def test_file_store_writes_lists_and_deletes_whole_objects(tmp_path: Path) -> None:
    store = store_for((tmp_path / "out").as_uri())
    assert isinstance(store, FileStore)
    local = tmp_path / "local.ndjson"
    local.write_text('{"id": "a"}\n')
    store.put_file("runs/r2/upserts.ndjson", local, content_type="application/x-ndjson")
    store.put_bytes("runs/r1/manifest.json", b"{}", content_type="application/json")
    store.put_bytes("runs/r3/_COMMITTED", b"{}", content_type="application/json")
    assert store.get_bytes("runs/r2/upserts.ndjson") == b'{"id": "a"}\n'
    assert store.get_bytes("runs/r9/manifest.json") is None
    assert list(store.list("runs/")) == ["runs/r1/manifest.json", "runs/r2/upserts.ndjson", "runs/r3/_COMMITTED"]
    assert list(store.list("runs/", start_after="runs/r2/\x7f")) == ["runs/r3/_COMMITTED"]
    assert store.uri("runs/r1/manifest.json") == (tmp_path / "out" / "runs" / "r1" / "manifest.json").as_uri()
    (tmp_path / "out" / "runs" / "r2" / ".upserts.ndjson.x.tmp").write_text("half")  # a write a crash cut short
    assert "runs/r2/.upserts.ndjson.x.tmp" not in list(store.list("runs/"))
    store.delete_prefix("runs/r2/")
    assert not (tmp_path / "out" / "runs" / "r2").exists()
    store.delete("runs/r1/manifest.json")
    assert not (tmp_path / "out" / "runs" / "r1").exists()  # empty folders go with their last object
    store.delete("runs/r1/manifest.json")  # absent is fine


def test_unknown_schemes_are_refused() -> None:
    with pytest.raises(ConfigError, match="unsupported scheme"):
        store_for("s3://bucket/prefix")
