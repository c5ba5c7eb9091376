"""`compiler build [PATH ...] --out DIR`: validate connectors, then compile each into `DIR/<name>.plan.json`.

Validation is the linter's, with the same diagnostics, formats and exit codes. When any connector has a finding
that fails the run (errors, or warnings with `--strict`) or cannot be lowered, nothing is written. Plans in DIR of
connectors that no longer exist are removed, each named on stderr.
Exit codes: 0 plans written, 1 findings, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler.commands.validate import DEFAULT_PATHS, add_strict_argument, default_format
from compiler.emit.plans import remove_stale_plans, write_plans
from compiler.lower.files import lower_files
from compiler.lower.inputs import source_root
from compiler.report import REPORTERS, render
from compiler.validation import UsageError, validate_paths

NAME = "build"
MAX_LISTED = 20
"""Plans named one per line on stderr; a big build ends with a count instead of a thousand lines."""
HELP = "Validate connectors and compile each into an execution plan DIR/<name>.plan.json."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="connector files or folders (default: connectors/)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the plans to")
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="source root that input paths in plans are relative to "
        "(default: the git work tree holding each file, else the current directory if the file is below it, "
        "else the file's own folder)",
    )
    parser.add_argument(
        "--format",
        choices=sorted(REPORTERS),
        default=None,
        help="diagnostics format (default: text, or github when GITHUB_ACTIONS=true)",
    )
    add_strict_argument(parser, "build")


def _refuse(out: Path) -> None:
    print(f"compiler build: nothing written to {out}: fix the findings above", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        # One process: lowering then reuses the SQL and template parses the validator cached (faster overall
        # than parallel validation followed by cold re-parsing; see bench/bench_build.py).
        result = validate_paths(args.paths or list(DEFAULT_PATHS), jobs=1, strict=args.strict)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result.diagnostics or args.format not in (None, "text"):
        sys.stdout.write(render(result, args.format or default_format()))
    code = result.exit_code()
    if code != 0:
        _refuse(args.out)
        return code
    compiled = lower_files(result.files, args.root)
    if compiled.problems:
        for problem in compiled.problems:
            print(problem.render(), file=sys.stderr)
        _refuse(args.out)
        return 1
    try:
        written = write_plans(args.out, compiled.plans)
        roots = [source_root(Path(f.path), args.root) for f in result.files]
        removed = remove_stale_plans(args.out, compiled.plans, roots)
    except OSError as exc:
        print(f"compiler build: cannot write plans to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    changed = [path for path, is_new in written if is_new]
    for path in changed[:MAX_LISTED]:
        print(f"wrote {path}", file=sys.stderr)
    if len(changed) > MAX_LISTED:
        print(f"... and {len(changed) - MAX_LISTED} more", file=sys.stderr)
    for path, reason in removed:
        print(f"removed {path}: {reason}", file=sys.stderr)
    print(
        f"compiled {len(written)} connector(s) into {args.out}: {len(changed)} written, "
        f"{len(written) - len(changed)} unchanged" + (f", {len(removed)} removed" if removed else ""),
        file=sys.stderr,
    )
    return 0
