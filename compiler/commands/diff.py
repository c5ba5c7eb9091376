"""`compiler diff OLD NEW`: what changed between two plans, one line per field, risky changes flagged first.

Exit codes: 0 (with `--exit-code`: 0 only when nothing changed, 1 when something did), 2 when a plan is unusable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler.commands.plan_files import PlanReadError, read_plan
from compiler.emit.plan_diff import diff_plans, render_diff

NAME = "diff"
HELP = "Show what changed between two compiled plans (for pull-request review)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", type=Path, metavar="OLD", help="the plan before the change")
    parser.add_argument("new", type=Path, metavar="NEW", help="the plan after the change")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when the plans differ (like git diff)")


def run(args: argparse.Namespace) -> int:
    try:
        old, new = read_plan(args.old), read_plan(args.new)
    except PlanReadError as exc:
        print(f"compiler diff: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_diff(old, new, str(args.old), str(args.new)))
    return 1 if args.exit_code and diff_plans(old, new) else 0
