"""SIGTERM and SIGINT stop a run cleanly: before the commit the run unwinds (its published files are removed,
nothing is committed); during the commit and its marker the stop waits, so a run is never half committed.

`runtime exec` installs `STOP`; library callers who do not install it keep Python's default behaviour.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from runtime.errors import Interrupted


class Stop:
    def __init__(self) -> None:
        self._deferred = 0
        self.requested: str | None = None

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._handle)
            signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = signal.Signals(signum).name
        if self._deferred == 0:
            raise Interrupted(f"stopped by {self.requested}; nothing was committed")

    def check(self) -> None:
        """Raise if a stop was requested while it was deferred."""
        if self.requested is not None and self._deferred == 0:
            raise Interrupted(f"stopped by {self.requested}; nothing was committed")

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """A section a stop must not cut short (the commit and its marker)."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1

    def reset(self) -> None:
        self.requested = None


STOP = Stop()
