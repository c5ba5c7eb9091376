"""`compiler validate` (also `python scripts/validate_connectors.py`): lint connector files.

Exit codes: 0 clean (warnings allowed unless --strict), 1 findings, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys

from compiler.report import REPORTERS, render
from compiler.validation import UsageError, validate_paths

NAME = "validate"
HELP = "Check connector files against the schema and the semantic rules."
DEFAULT_PATHS = ("connectors",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: connectors/)")
    parser.add_argument(
        "--format",
        choices=sorted(REPORTERS),
        default=None,
        help="output format (default: text, or github when GITHUB_ACTIONS=true)",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too")
    parser.add_argument("--no-cache", action="store_true", help="check every file even if unchanged")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")


def default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def run(args: argparse.Namespace) -> int:
    paths = args.paths or list(DEFAULT_PATHS)
    try:
        result = validate_paths(paths, use_cache=not args.no_cache, jobs=args.jobs)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(render(result, args.format or default_format()))
        sys.stdout.flush()  # a full disk must fail here, with a message, not in the interpreter's exit flush
    except BrokenPipeError:
        raise  # the reader left (`| head`); compiler.cli ends quietly
    except OSError as exc:
        print(f"error: cannot write the report: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return result.exit_code(strict=args.strict)
