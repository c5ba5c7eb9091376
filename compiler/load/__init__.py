"""Stage 1: bytes on disk -> connector documents with source positions, or problems saying why not."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from typing import Any

from compiler.load.positions import FILE_START, Positions, Span
from compiler.load.yaml_reader import Problem, read_documents

MAX_FILE_BYTES = 1_000_000
"""A connector is a few kilobytes; anything near a megabyte is a mistake, and we refuse to spend time on it."""

__all__ = [
    "MAX_FILE_BYTES",
    "LoadedDocument",
    "LoadedFile",
    "Positions",
    "Problem",
    "Span",
    "load_bytes",
    "too_large",
]


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """One YAML document of a file. `data` is None when the document could not be read."""

    index: int
    data: Any
    positions: Positions
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class LoadedFile:
    path: str
    sha256: str
    text: str
    documents: tuple[LoadedDocument, ...]
    problems: tuple[Problem, ...]
    """Problems of the file as a whole (encoding, size, no document at all)."""


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _decode(raw: bytes) -> tuple[str | None, Problem | None]:
    for bom, encoding in _WIDE_BOMS:  # say which encoding it is rather than "binary" (UTF-16 is full of NULs)
        if raw.startswith(bom):
            return None, _byte_problem(raw, 0, f"the file is {encoding} text; connector files must be UTF-8")
    if b"\x00" in raw[:8192]:
        offset = raw.index(b"\x00")
        return None, _byte_problem(raw, offset, "the file is binary (it contains NUL bytes), not YAML text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, _byte_problem(raw, exc.start, f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")


def _byte_problem(raw: bytes, offset: int, message: str) -> Problem:
    line = raw.count(b"\n", 0, offset) + 1
    column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return Problem("GS002", message, Span(line, column, line, column + 1), "", "save the file as UTF-8 text")


def too_large(path: str, size: int, digest: str = "") -> LoadedFile:
    """The GS006 result for a file of `size` bytes, which is never read beyond the limit."""
    problem = Problem(
        "GS006",
        f"the file is {size:,} bytes; connector files are limited to {MAX_FILE_BYTES:,}",
        FILE_START,
        "",
        "split it into one file per connector",
    )
    return LoadedFile(path, digest, "", (), (problem,))


def load_bytes(raw: bytes, path: str) -> LoadedFile:
    """Read every YAML document in `raw`. Never raises for bad content: problems describe it."""
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_FILE_BYTES:
        return too_large(path, len(raw), digest)
    text, decode_problem = _decode(raw)
    if text is None:
        assert decode_problem is not None
        return LoadedFile(path, digest, "", (), (decode_problem,))
    documents = tuple(
        LoadedDocument(index, raw_doc.data, raw_doc.positions, raw_doc.problems)
        for index, raw_doc in enumerate(read_documents(text))
    )
    if not documents:
        empty = Problem("GS003", "the file is empty", FILE_START, "", "write a Connector, or delete the file")
        return LoadedFile(path, digest, text, (), (empty,))
    return LoadedFile(path, digest, text, documents, ())
