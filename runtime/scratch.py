"""The run's scratch folder: `<state-dir>/.scratch/<connector>-<random>/`, removed when the run ends (a dry run,
which writes nothing next to the state, uses `<temp-dir>/gemini-sync/` instead).

Each folder holds a lock for as long as its run lives; a folder whose lock is free belongs to a run that died
(kill -9, power loss) and is removed by the next run of the same connector, so partial artifacts and DuckDB
spill files never pile up.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from runtime.errors import StateError

_LOCK = ".owner.lock"
_YOUNG_SECONDS = 60.0
"""A folder this young may be one a run has just created and not yet locked: left alone."""


class Scratch:
    def __init__(self, path: Path, lock: IO[str]) -> None:
        self.path = path
        self._lock = lock

    @classmethod
    @contextlib.contextmanager
    def create(cls, state_dir: Path, connector: str, *, dry_run: bool) -> Iterator[Scratch]:
        root = Path(tempfile.gettempdir()) / "gemini-sync" if dry_run else state_dir / ".scratch"
        try:
            root.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(root, connector)
            path = Path(tempfile.mkdtemp(prefix=f"{connector}-", dir=root))
            lock = open(path / _LOCK, "w")  # noqa: SIM115 - held for the run's life
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError as exc:
            raise StateError(f"cannot create the run's scratch folder under {root}: {exc.strerror or exc}") from None
        try:
            yield cls(path, lock)
        finally:
            lock.close()
            shutil.rmtree(path, ignore_errors=True)


def _remove_abandoned(root: Path, connector: str) -> None:
    now = time.time()
    for folder in root.glob(f"{connector}-*"):
        try:
            if now - folder.stat().st_mtime < _YOUNG_SECONDS:
                continue
            with open(folder / _LOCK, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except FileNotFoundError:
            pass  # no lock file: died before taking it
        except (BlockingIOError, OSError):
            continue  # a live run (e.g. a dry run) owns it
        shutil.rmtree(folder, ignore_errors=True)
