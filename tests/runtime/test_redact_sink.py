"""Secret redaction and the artifact sink, in isolation."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.deliver.sink import FileSink, sink_for
from runtime.errors import ConfigError, StateError
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


def test_file_sink_publishes_a_folder_whole_and_retracts_it(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    sink = sink_for((tmp_path / "out").as_uri())
    assert isinstance(sink, FileSink)
    published = sink.publish("run-1", folder)
    target = tmp_path / "out" / "runs" / "run-1"
    assert (target / "manifest.json").read_text() == "{}"
    assert published.uri == target.as_uri()
    assert not folder.exists()
    other = tmp_path / "work2"
    other.mkdir()
    with pytest.raises(StateError, match="already exist"):
        sink.publish("run-1", other)
    published.retract()
    assert not target.exists()


def test_gs_and_unknown_schemes_are_refused() -> None:
    with pytest.raises(ConfigError, match="not available yet"):
        sink_for("gs://bucket/prefix")
    with pytest.raises(ConfigError, match="unsupported scheme"):
        sink_for("s3://bucket/prefix")
