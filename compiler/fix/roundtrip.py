"""ruamel.yaml's round trip, set up so that an unchanged document comes back byte for byte.

ruamel.yaml keeps comments, key order, quoting and flow style, but writes indentation and the leading `---` from
its own settings. So the layout is searched, not guessed: the first settings under which the untouched text
reproduces itself exactly are the ones edits are written with; when none does, the file is not rewritten at all
(a fix must never reformat a file as a side effect).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

WIDTH = 1_000_000
"""Never fold a long line: the file keeps the line breaks it has."""


class RoundTripError(Exception):
    """The file cannot be rewritten without changing more than the fixes (message says why)."""


@dataclass(frozen=True, slots=True)
class Layout:
    mapping: int
    sequence: int
    offset: int
    explicit_start: bool


def _layouts() -> Iterator[Layout]:
    for explicit_start in (False, True):
        for mapping in (2, 4, 3):
            for sequence, offset in ((mapping, 0), (mapping + 2, 2), (2, 0), (4, 2), (4, 0), (3, 1)):
                yield Layout(mapping, sequence, offset, explicit_start)


def _yaml(layout: Layout) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    yaml.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
    yaml.explicit_start = layout.explicit_start
    return yaml


def _split_preamble(text: str) -> tuple[str, str]:
    """Comments above a leading `---` (the editor modeline), which ruamel.yaml would drop, kept aside."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("---"):
            return "".join(lines[:index]), "".join(lines[index:])
        if stripped and not stripped.startswith("#"):
            break
    return "", text


class RoundTrip:
    """The documents of one file, editable in place; `dump()` writes them in the file's own layout."""

    def __init__(self, text: str) -> None:
        self.preamble, text = _split_preamble(text)
        try:
            self.documents: list[Any] = list(_yaml(Layout(2, 2, 0, False)).load_all(text))
        except YAMLError as exc:
            raise RoundTripError(f"ruamel.yaml cannot read the file: {str(exc).splitlines()[0]}") from None
        self.layout = self._find_layout(text)

    def _find_layout(self, text: str) -> Layout:
        for layout in _layouts():  # indentation only matters when writing: the documents are read once
            try:
                if self._render(layout, self.documents) == text:
                    return layout
            except YAMLError:
                break
        raise RoundTripError("rewriting it would change its layout (its indentation is not uniform)")

    @staticmethod
    def _render(layout: Layout, documents: list[Any]) -> str:
        out = io.StringIO()
        _yaml(layout).dump_all(documents, out)
        return out.getvalue()

    def dump(self) -> str:
        return self.preamble + self._render(self.layout, self.documents)
