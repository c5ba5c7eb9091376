"""`compiler validate` (also `python scripts/validate_connectors.py`): lint connector files, and the harness case
files under `tests/connectors/` against the case schema.

`--fix` applies the certain fixes and lists each on stderr, then reports what is left; `--diff` prints the fixes
as a unified diff and writes nothing.
Exit codes: 0 clean (warnings allowed unless strict), 1 findings (with `--diff`: also when there is something to
fix), 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from compiler.report import REPORTERS, render
from compiler.validation import UsageError, ValidationResult, discover, display_path, load_settings, validate_paths

NAME = "validate"
HELP = "Check connector files (and harness case files) against their schemas and the semantic rules."
DEFAULT_PATHS = ("connectors",)
CASES_PATH = "tests/connectors"
"""Harness case files, checked against the case schema; part of the default paths when the folder exists."""


def default_paths() -> list[str]:
    return [*DEFAULT_PATHS, *((CASES_PATH,) if Path(CASES_PATH).is_dir() else ())]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders (default: connectors/, and tests/connectors/ when it exists)",
    )
    parser.add_argument(
        "--format",
        choices=sorted(REPORTERS),
        default=None,
        help="output format (default: text, or github when GITHUB_ACTIONS=true)",
    )
    add_strict_argument(parser, "run")
    parser.add_argument("--no-cache", action="store_true", help="check every file even if unchanged")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument(
        "--fix", action="store_true", help="apply the certain fixes, keeping comments and layout; list each one"
    )
    parser.add_argument("--diff", action="store_true", help="print the certain fixes as a unified diff; write nothing")


def add_strict_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"warnings fail the {what} too (default: `strict` in the repository settings, else off)",
    )


def default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def run(args: argparse.Namespace) -> int:
    paths = args.paths or default_paths()
    try:
        fixed: Mapping[str, bytes] = {}
        if args.fix or args.diff:
            fixed = _fix(paths, write=not args.diff)
        result = validate_paths(paths, use_cache=not args.no_cache, jobs=args.jobs, strict=args.strict, overrides=fixed)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.diff:
        return _report_diff(fixed, result)
    try:
        sys.stdout.write(render(result, args.format or default_format()))
        sys.stdout.flush()  # a full disk must fail here, with a message, not in the interpreter's exit flush
    except BrokenPipeError:
        raise  # the reader left (`| head`); compiler.cli ends quietly
    except OSError as exc:
        print(f"error: cannot write the report: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return result.exit_code()


def _fix(paths: list[str], *, write: bool) -> dict[str, bytes]:
    """Fix every file found; write the changed ones (unless `write` is off). Returns shown path -> fixed bytes."""
    from compiler.fix import fix_text

    changed: dict[str, bytes] = {}
    count = 0
    for path in discover(paths, load_settings()):
        shown = display_path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{shown}: cannot read: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue  # GS002 says so; there is nothing to fix in text that cannot be read
        outcome = fix_text(text, shown)
        if outcome.refused:
            print(f"not fixed: {outcome.refused}", file=sys.stderr)
        for applied in outcome.applied:
            print(f"{'fixed' if write else 'would fix'} {applied.render()}", file=sys.stderr)
        count += len(outcome.applied)
        if outcome.text == text:
            continue
        data = (b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b"") + outcome.text.encode("utf-8")
        changed[shown] = data
        if write:
            _replace(path, data)
    verb = "applied" if write else "to apply"
    print(f"{count} fix{'es' if count != 1 else ''} {verb} in {len(changed)} file(s)", file=sys.stderr)
    return changed


def _replace(path: Path, data: bytes) -> None:
    """Write next to the file, then rename over it: an interrupted fix never leaves half a connector."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{display_path(path)}: cannot write the fixes: {exc.strerror or exc}") from None


def _report_diff(fixed: Mapping[str, bytes], result: ValidationResult) -> int:
    for shown, data in fixed.items():
        before = Path(shown).read_text(encoding="utf-8-sig").splitlines(keepends=True)
        after = data.decode("utf-8-sig").splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}"))
    remaining = len(result.diagnostics)
    if remaining:
        print(f"{remaining} finding(s) would remain after the fixes", file=sys.stderr)
    return 1 if fixed or result.exit_code() else 0
