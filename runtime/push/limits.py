"""The limits on one push request. Over a limit, the whole request is refused (413 or 400) with the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = 10 * 1024 * 1024
    """The request body, as sent (413 above it)."""
    max_events: int = 1_000
    """Events in one request (413 above it)."""
    max_record_bytes: int = 1024 * 1024
    """One event, as JSON (413 above it): a Discovery Engine document is limited too."""
    max_depth: int = 32
    """Nesting of objects and arrays inside one event (400 above it)."""


class LimitExceeded(Exception):
    """A request over a limit. `status` is 413 (too large) or 400 (too deep)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def deeper_than(value: object, limit: int) -> bool:
    """Does parsed JSON nest more than `limit` objects/arrays deep? (`{}` is 1.) Recurses at most `limit` + 1
    levels, so deep input cannot exhaust the stack, and only into containers, so flat records cost little."""
    if isinstance(value, dict):
        children: Iterable[object] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return False
    if limit <= 0:
        return True
    return any(isinstance(child, dict | list) and deeper_than(child, limit - 1) for child in children)
