"""`runtime demo` runs end to end: compiles its connector, syncs twice into a local Discovery Engine emulator,
shows the second run's changes and the data store after each sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_syncs_twice_and_shows_the_edits(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runtime", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stderr
    assert "extracted 200: new 200, changed 0, unchanged 0" in out
    assert "would delete: 150, 151" in out
    assert "extracted 201: new 3, changed 5, unchanged 193" in out
    assert "deleted 2, soft-deleted 0 (of 200 known documents)" in out
    assert "started a local Discovery Engine emulator on 127.0.0.1:" in out
    assert "delivered: upserted 200, deleted 0, 0 failed" in out
    assert "dataStores/demo-articles (local emulator): 200 documents, e.g." in out
    assert "delivered: upserted 8, deleted 2, 0 failed" in out
    assert "dataStores/demo-articles (local emulator): 201 documents, e.g." in out
    assert "  1: 'Article 1' (sales) readers ['user1@example.com']" in out
    assert out.rstrip().splitlines()[-1].startswith("Artifacts: ")
    assert "stopped the local Discovery Engine emulator" in out
    runs = sorted((tmp_path / "demo" / "artifacts" / "demo-articles" / "runs").iterdir())
    assert len(runs) == 2
    assert len((runs[1] / "upserts.ndjson").read_text().splitlines()) == 8
    assert (runs[1] / "deletes.ndjson").read_text().splitlines() == ['{"id":"150"}', '{"id":"151"}']
