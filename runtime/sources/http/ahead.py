"""Read ahead: run an iterator in a thread, a bounded number of items ahead of its consumer.

The engine stages a batch in DuckDB (which releases the GIL) while the next pages are fetched and parsed, so a
run costs about the larger of the two instead of their sum. The queue bounds memory to `depth` items; an
exception in the thread is raised to the consumer; `stop()` ends the thread early (a failed or stopped run).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.1


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Ahead(Generic[T]):
    def __init__(self, items: Iterator[T], depth: int) -> None:
        self._items = items
        self._queue: queue.Queue[T | _Done | _Failed] = queue.Queue(maxsize=depth)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="rest-pull-ahead", daemon=True)
        self._started = False

    def _put(self, item: T | _Done | _Failed) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_Done())
        except BaseException as error:  # handed to the consumer, who raises it
            self._put(_Failed(error))

    def __iter__(self) -> Iterator[T]:
        if not self._started:
            self._started = True
            self._thread.start()
        while True:
            item = self._queue.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def stop(self, timeout: float = 30.0) -> None:
        """Stop reading ahead and wait for the thread (it finishes at most its current request)."""
        self._stopping.set()
        if self._started:
            self._thread.join(timeout)
