"""`compiler build [PATH ...] --out DIR`: validate connectors, then compile each into `DIR/<name>.plan.json`.

Validation is the linter's, with the same diagnostics, formats and exit codes; when any connector has a finding
that fails the run (errors, or warnings with `--strict`), or any connector cannot be lowered, nothing is written.
Exit codes: 0 plans written, 1 findings, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from compiler.emit.plans import write_plans
from compiler.lower.files import lower_files
from compiler.report import render
from compiler.validation import validate_paths

NAME = "build"
HELP = "Validate connectors and compile each into an execution plan DIR/<name>.plan.json."
FORMATS = ("text", "json", "github", "sarif", "junit")
DEFAULT_PATHS = ("connectors",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="connector files or folders (default: connectors/)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the plans to")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="source root that input paths in plans are relative to "
        "(default: the git work tree holding each file, else the current directory)",
    )
    parser.add_argument("--format", choices=FORMATS, default=None, help="diagnostics format (default: text)")
    parser.add_argument("--strict", action="store_true", help="warnings fail the build too")


def _format(args: argparse.Namespace) -> str:
    if args.format is not None:
        return str(args.format)
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def run(args: argparse.Namespace) -> int:
    result = validate_paths(args.paths or DEFAULT_PATHS)
    report = render(result, _format(args))
    if report:
        sys.stdout.write(report if report.endswith("\n") else report + "\n")
    code = result.exit_code(strict=args.strict)
    if code != 0:
        print(f"compiler build: nothing written to {args.out}: fix the findings above", file=sys.stderr)
        return code
    compiled = lower_files(result.files, args.root)
    if compiled.problems:
        for problem in compiled.problems:
            print(problem.render(), file=sys.stderr)
        print(f"compiler build: nothing written to {args.out}: fix the findings above", file=sys.stderr)
        return 1
    try:
        written = write_plans(args.out, compiled.plans)
    except OSError as exc:
        print(f"compiler build: cannot write plans to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path, changed in written:
        print(f"{'wrote' if changed else 'unchanged'} {path}", file=sys.stderr)
    return 0
