"""The limits on one push request. Over a limit, the whole request is refused (413 or 400) with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast


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
    levels, so deep input cannot exhaust the stack, and only into containers (exact type checks: this runs for
    every pushed event)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return False
    if limit <= 0:
        return True
    children = cast(dict[str, object], value).values() if kind is dict else cast(list[object], value)
    for child in children:
        child_kind = type(child)
        if (child_kind is dict or child_kind is list) and deeper_than(child, limit - 1):
            return True
    return False
