"""`# gemini-sync: disable=GS109,GS111` comments: where they are and which findings they silence.

A comment at the end of a line silences findings that start on that line; a comment on a line of its own silences
the next line; one in the file's leading comments (before the first YAML content) silences the whole file. Codes
that protect data and the reading and schema codes are never silenced (`Code.silenceable`): such a comment, a
comment naming no real code, and one that silences nothing are each reported as GS201.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import yaml

from compiler.check.codes import BY_CODE
from compiler.check.finding import make_diagnostic
from compiler.diagnostics import Diagnostic
from compiler.load.positions import Span

MARKER = "gemini-sync:"
_DIRECTIVE = re.compile(r"#\s*gemini-sync:\s*disable\s*=\s*(?P<codes>[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)")
FILE_SCOPE = 0
"""`Suppression.target_line` of a comment that covers the whole file."""

try:
    from yaml import CSafeLoader as _Scanner
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Scanner  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Suppression:
    """One directive: the comment's own span, the line it covers (FILE_SCOPE for all) and the codes it names."""

    span: Span
    target_line: int
    codes: tuple[str, ...]


def _scalar_ranges(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) as (line, column), 0-based, of every scalar: a '#' inside one is data, not a comment."""
    ranges = []
    try:
        for token in yaml.scan(text, Loader=_Scanner):
            if isinstance(token, yaml.ScalarToken):
                start, end = token.start_mark, token.end_mark
                ranges.append(((start.line, start.column), (end.line, end.column)))
    except yaml.YAMLError:
        pass  # a syntax error: the scalars before it are known, which is all a broken file needs
    return ranges


def _content_start(lines: Sequence[str]) -> int:
    """0-based index of the first line that is YAML content (not blank, a comment, a directive or '---')."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%")) and stripped != "---":
            return index
    return len(lines)


def find_suppressions(text: str) -> tuple[Suppression, ...]:
    if MARKER not in text:  # the common case costs one substring search
        return ()
    lines = text.splitlines()
    scalars = _scalar_ranges(text)
    header_end = _content_start(lines)
    found: list[Suppression] = []
    for index, line in enumerate(lines):
        if MARKER not in line:
            continue
        for match in _DIRECTIVE.finditer(line):
            column = match.start()
            if column > 0 and not line[column - 1].isspace():
                continue  # `a#b` is not a comment in YAML
            if any(start <= (index, column) < end for start, end in scalars):
                continue  # inside a value, e.g. a query that mentions the marker
            codes = tuple(dict.fromkeys(code.strip().upper() for code in match["codes"].split(",")))
            span = Span(index + 1, column + 1, index + 1, match.end() + 1)
            own_line = not line[:column].strip()
            if own_line and index < header_end:
                target = FILE_SCOPE
            elif own_line:
                target = index + 2 + _blank_run(lines, index + 1)
            else:
                target = index + 1
            found.append(Suppression(span, target, codes))
    return tuple(found)


def _blank_run(lines: Sequence[str], start: int) -> int:
    """Blank or comment lines from `start` on: an own-line comment covers the next line that holds content."""
    count = 0
    while start + count < len(lines) and (not lines[start + count].strip() or lines[start + count].lstrip()[:1] == "#"):
        count += 1
    return count


def _covers(suppression: Suppression, diagnostic: Diagnostic) -> bool:
    return diagnostic.code in suppression.codes and suppression.target_line in (FILE_SCOPE, diagnostic.line)


def apply_suppressions(
    diagnostics: Iterable[Diagnostic], suppressions: dict[str, tuple[Suppression, ...]]
) -> list[Diagnostic]:
    """The diagnostics that no comment silences, plus a GS201 for each code a comment names without effect."""
    kept: list[Diagnostic] = []
    used: set[tuple[str, int, str]] = set()
    refused: set[tuple[str, int, str]] = set()
    for diagnostic in diagnostics:
        silenced = False
        for index, suppression in enumerate(suppressions.get(diagnostic.file, ())):
            if not _covers(suppression, diagnostic):
                continue
            code = BY_CODE.get(diagnostic.code)
            if code is not None and code.silenceable:
                used.add((diagnostic.file, index, diagnostic.code))
                silenced = True
            else:
                refused.add((diagnostic.file, index, diagnostic.code))
        if not silenced:
            kept.append(diagnostic)
    kept.extend(_unused(suppressions, used, refused))
    return kept


def _unused(
    suppressions: dict[str, tuple[Suppression, ...]],
    used: set[tuple[str, int, str]],
    refused: set[tuple[str, int, str]],
) -> Iterator[Diagnostic]:
    for path, found in suppressions.items():
        for index, suppression in enumerate(found):
            for name in suppression.codes:
                key = (path, index, name)
                if key in used:
                    continue
                yield make_diagnostic(
                    path, suppression.span, "GS201", _why_unused(suppression, name, key in refused), "", _fix(name)
                )


def _why_unused(suppression: Suppression, name: str, refused: bool) -> str:
    code = BY_CODE.get(name)
    where = "in this file" if suppression.target_line == FILE_SCOPE else f"on line {suppression.target_line}"
    if code is None:
        return f"{name} is not a diagnostic code; the comment silences nothing"
    if refused or not code.silenceable:
        reason = "protects data" if code.protects_data else "is a reading or schema error"
        return f"{name} {reason} and cannot be silenced; the finding is still reported"
    return f"no {name} finding {where}; the comment silences nothing"


def _fix(name: str) -> str:
    code = BY_CODE.get(name)
    if code is not None and not code.silenceable:
        return f"fix the {name} finding, and remove {name} from the comment"
    return f"remove {name} from the comment"
