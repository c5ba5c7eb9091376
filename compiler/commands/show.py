"""`compiler show PLAN`: a human summary of one plan (checked against its hash first)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler.commands.plan_files import PlanReadError, read_plan
from compiler.emit.plan_summary import summarise

NAME = "show"
HELP = "Summarise a compiled plan: source, extraction, mapping, deletes, target. Exit 2 if it is unusable."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", type=Path, metavar="PLAN", help="a .plan.json file written by compiler build")


def run(args: argparse.Namespace) -> int:
    try:
        plan = read_plan(args.plan)
    except PlanReadError as exc:
        print(f"compiler show: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(summarise(plan))
    return 0
