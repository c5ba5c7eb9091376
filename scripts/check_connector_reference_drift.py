#!/usr/bin/env python3
"""Fail when a generated docs page differs from what the schema and the code registry produce.

Regenerates `docs/connector-field-reference.md` (from compiler/schema/connector.schema.json) and
`docs/diagnostics.md` (from compiler/check/codes.py) in memory and compares them with the files.
Exit 0: up to date. Exit 1: a page differs or is missing (a unified diff and the fix command are printed).
Exit 2: the generator itself failed. `--fix` rewrites the pages instead of failing.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # check this checkout's generator and schema, not another installed copy

from compiler.emit.reference import generated_pages  # noqa: E402

FIX = "python scripts/check_connector_reference_drift.py --fix"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fix", action="store_true", help="rewrite out-of-date pages instead of failing")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    root: Path = args.root

    try:
        pages = {relative: render() for relative, render in generated_pages().items()}
    except Exception as error:  # a broken schema or template must be a one-line answer, not a traceback
        print(f"error: cannot generate the reference pages: {type(error).__name__}: {error}", file=sys.stderr)
        return 2

    problems = 0
    for relative, expected in pages.items():
        path = root / relative
        actual = path.read_text(encoding="utf-8") if path.is_file() else None
        if actual == expected:
            continue
        if args.fix:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected, encoding="utf-8")
            print(f"fixed {relative}")
            continue
        problems += 1
        if actual is None:
            print(f"{relative}: missing; generate it with: {FIX}")
            continue
        diff = difflib.unified_diff(
            actual.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=f"{relative} (on disk)",
            tofile=f"{relative} (generated)",
        )
        sys.stdout.writelines(line if line.endswith("\n") else line + "\n" for line in diff)
        print(f"{relative}: out of date with the schema or the code registry; fix with: {FIX}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
