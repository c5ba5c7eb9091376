"""Bounded concurrency and pacing for the delivery's calls (threads: see `runtime.ingest.api.Api`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def run_all(items: Iterable[T], work: Callable[[T], None], concurrency: int) -> None:
    """`work` over `items` with at most `concurrency` in flight, reading `items` lazily. The first error stops
    new work, waits for the calls in flight, and is raised (as sequential code would raise it)."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="deliver") as executor:
        pending: set[Future[None]] = set()
        try:
            for item in items:
                if len(pending) >= concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                pending.add(executor.submit(work, item))
            for future in pending:
                future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise


class Pacer:
    """At most `rate` starts per second across threads: each start takes the next free slot, 1/rate apart.

    (Ten lines, so not a dependency: aiolimiter, the well-kept leaky bucket, is asyncio-only.)"""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)
