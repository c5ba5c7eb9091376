"""Progress on long extractions: one rewritten stderr line, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def progress_printer(stream: TextIO = sys.stderr) -> Callable[[int], None] | None:
    """A callback `rows_so_far -> None`, or None when `stream` is not a TTY (CI logs stay clean)."""
    if not stream.isatty():
        return None
    started = time.monotonic()

    def show(rows: int) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        stream.write(f"\r  extracted {rows:,} rows ({rows / elapsed:,.0f} rows/s)\x1b[K")
        stream.flush()

    return show


def clear_line(stream: TextIO = sys.stderr) -> None:
    if stream.isatty():
        stream.write("\r\x1b[K")
        stream.flush()
