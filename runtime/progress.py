"""Progress on long extractions: one rewritten stderr line, only when stderr is a terminal.

The engine calls the line with the number of records staged so far; a source may add a detail of its own
(`rest_pull`: the pages read) with `ProgressLine.detail`, shown at the end of the same line.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

DETAIL_INTERVAL_SECONDS = 0.1
"""A source may report a detail per page; the line is redrawn for it at most this often."""


class ProgressLine:
    """`line(rows)` redraws `  extracted 12,000 records (3,400 records/s), 120 pages`."""

    def __init__(self, stream: TextIO, unit: str = "rows") -> None:
        self.stream, self.unit = stream, unit
        self.started = time.monotonic()
        self.rows = 0
        self.extra = ""
        self._drawn = 0.0
        self._lock = threading.Lock()  # the engine and a source's reading thread both draw

    def __call__(self, rows: int) -> None:
        self.rows = rows
        self._draw()

    def detail(self, text: str) -> None:
        """Show `text` after the count (e.g. `120 pages`); redrawn at most every DETAIL_INTERVAL_SECONDS."""
        self.extra = text
        if time.monotonic() - self._drawn >= DETAIL_INTERVAL_SECONDS:
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._drawn = now
            rate = self.rows / max(now - self.started, 1e-6)
            extra = f", {self.extra}" if self.extra else ""
            self.stream.write(f"\r  extracted {self.rows:,} {self.unit} ({rate:,.0f} {self.unit}/s){extra}\x1b[K")
            self.stream.flush()


def progress_printer(stream: TextIO = sys.stderr, unit: str = "rows") -> ProgressLine | None:
    """A progress line, or None when `stream` is not a TTY (CI logs stay clean)."""
    if not stream.isatty():
        return None
    return ProgressLine(stream, unit)


def clear_line(stream: TextIO = sys.stderr) -> None:
    if stream.isatty():
        stream.write("\r\x1b[K")
        stream.flush()
