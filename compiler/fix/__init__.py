"""`compiler validate --fix` / `--diff`: apply the certain fixes the checks attach to their findings.

A fix is certain when there is one right answer (a misspelt field with exactly one close match, an allowed value
in the wrong case, a number or boolean that YAML read from an unquoted string, whitespace around a value that a
pattern forbids). Fixes are applied through ruamel.yaml's round trip (`roundtrip`), so comments, key order,
quoting and flow style stay; the lint path keeps its own fast loader. Fixing repeats until no fix is left (a fix
can reveal the next, e.g. a renamed `soruce` is checked as `source`), so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.diagnostics import Diagnostic
from compiler.fix.edits import EditError, apply_fix
from compiler.fix.roundtrip import RoundTrip, RoundTripError

MAX_ROUNDS = 10
"""Each round fixes every finding it can; a connector needs one or two."""

__all__ = ["AppliedFix", "FixOutcome", "fix_text"]


@dataclass(frozen=True, slots=True)
class AppliedFix:
    """One fix, at the position of its finding in the text it was applied to."""

    diagnostic: Diagnostic

    def render(self) -> str:
        d = self.diagnostic
        assert d.fix is not None
        return f"{d.file}:{d.line}:{d.column}: {d.code}: {d.fix.description}"


@dataclass(frozen=True, slots=True)
class FixOutcome:
    text: str
    applied: tuple[AppliedFix, ...]
    refused: str | None = None
    """Why fixes that were found could not be applied (the file is left as it was)."""


def _check(text: str, path: str) -> list[Diagnostic]:
    from compiler.check.checker import check_file

    return list(check_file(text.encode("utf-8"), path, check_file_name=False).diagnostics)


def fix_text(text: str, path: str) -> FixOutcome:
    """The text with every certain fix applied, and what was done."""
    newline = "\r\n" if "\r\n" in text else "\n"
    current = text.replace("\r\n", "\n")
    applied: list[AppliedFix] = []
    for _ in range(MAX_ROUNDS):
        fixable = [d for d in _check(current, path) if d.fix is not None]
        if not fixable:
            break
        try:
            trip = RoundTrip(current)
        except RoundTripError as exc:
            return FixOutcome(text, (), f"{path}: {len(fixable)} fix(es) not applied: {exc}")
        lines = current.split("\n")
        done = []
        for diagnostic in fixable:
            assert diagnostic.fix is not None
            try:
                apply_fix(trip.documents, diagnostic.fix, diagnostic, lines)
            except EditError:
                continue  # another fix of this round moved it; the next round looks again
            done.append(AppliedFix(diagnostic))
        rewritten = trip.dump()
        if not done or rewritten == current:
            break
        applied.extend(done)
        current = rewritten
    return FixOutcome(current.replace("\n", newline) if newline != "\n" else current, tuple(applied))
