"""`runtime exec`, killing its own process at the Nth durable step: a test tool, never shipped.

    CRASH_AT=N [CRASH_SIGNAL=SIGKILL|SIGTERM] python tests/runtime/engine/crashing_exec.py exec PLAN ...

Every write to the artifact store, every state commit step, is a step, counted before and after it runs. The
signal is sent to this very process at step N, so each step boundary can be hit exactly, which a timer cannot.
Prints the number of steps seen to stderr (`steps: K`) when it finishes without being killed.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from runtime import cli
from runtime.deliver.store import FileStore
from runtime.state.store import StateStore

TARGET = int(os.environ.get("CRASH_AT", "0"))
SIGNAL = getattr(signal, os.environ.get("CRASH_SIGNAL", "SIGKILL"))
_seen = [0]


def _step() -> None:
    _seen[0] += 1
    if _seen[0] == TARGET:
        os.kill(os.getpid(), SIGNAL)


def _counted(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _step()
        result = method(*args, **kwargs)
        _step()
        return result

    return wrapper


for owner, name in (
    (FileStore, "put_file"),
    (FileStore, "put_bytes"),
    (FileStore, "delete_prefix"),
    (StateStore, "commit"),
    (StateStore, "_install_new"),
):
    setattr(owner, name, _counted(getattr(owner, name)))

if __name__ == "__main__":
    code = cli.main(sys.argv[1:])
    print(f"steps: {_seen[0]}", file=sys.stderr)
    sys.exit(code)
