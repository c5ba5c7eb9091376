"""The scratch DuckDB never prints: its progress bar (shown for queries over 2 s) writes to stdout, where
`runtime exec --json` puts its report. Checked in a fresh interpreter with a plain pipe as stdout, as a scheduler
runs it: DuckDB turns the bar off by itself under pytest's capture, so an in-process check would prove nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys, tempfile
from pathlib import Path
from runtime.stage import open_workspace
con = open_workspace(Path(tempfile.mkdtemp()), 256)
print(con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0])
"""


def test_duckdb_progress_bar_is_off() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
