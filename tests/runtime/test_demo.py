"""`runtime demo` runs end to end: compiles its connector, syncs twice, shows the second run's changes."""

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
    runs = sorted((tmp_path / "demo" / "artifacts" / "demo-articles" / "runs").iterdir())
    assert len(runs) == 2
    assert len((runs[1] / "upserts.ndjson").read_text().splitlines()) == 8
    assert (runs[1] / "deletes.ndjson").read_text().splitlines() == ['{"id":"150"}', '{"id":"151"}']
