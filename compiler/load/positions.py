"""Source positions of YAML nodes, keyed by JSON pointer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """1-based start line and column; end line inclusive, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


FILE_START = Span(1, 1, 1, 1)


def escape(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def join(pointer: str, token: str | int) -> str:
    return f"{pointer}/{escape(str(token))}"


def parent(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0] if pointer else ""


@dataclass(slots=True)
class Positions:
    """Where each value (and each mapping key) of one YAML document starts and ends."""

    document: Span = FILE_START
    values: dict[str, Span] = field(default_factory=dict)
    keys: dict[str, Span] = field(default_factory=dict)

    def of_value(self, pointer: str) -> Span:
        """The value at `pointer`, or its nearest existing ancestor (a missing field points at its parent)."""
        while pointer:
            span = self.values.get(pointer)
            if span is not None:
                return span
            pointer = parent(pointer)
        return self.values.get("", self.document)

    def of_key(self, pointer: str) -> Span:
        """The key naming `pointer` when there is one (best for unknown fields), else the value."""
        return self.keys.get(pointer) or self.of_value(pointer)
