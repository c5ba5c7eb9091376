"""The limits on one push request. Over a limit, the whole request is refused (413 or 400) with the reason."""

from __future__ import annotations

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


def depth(value: object) -> int:
    """Nesting depth of parsed JSON: a scalar is 0, `{}` or `[]` is 1. Iterative, so deep input cannot recurse."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest
