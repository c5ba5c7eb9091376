"""`runtime exec PLAN`, `runtime test`, `runtime serve`, `runtime emulator` and `runtime demo`.

Errors are one line on stderr and an exit code, never a traceback.

Exit codes: 0 ok, 1 run failed (source, secret, mapping, state), 2 plan refused or bad arguments, 3 delete guard,
130 stopped by SIGTERM/SIGINT before the commit (nothing committed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from runtime.errors import RuntimeFailure
from runtime.memory import parse_memory_mb
from runtime.planfile import load_plan, plan_work_tree
from runtime.progress import clear_line, progress_printer
from runtime.report import render_json, render_text
from runtime.run import ExecOptions, execute
from runtime.signals import STOP


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runtime", description="Run compiled connector plans.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("exec", help="run one plan: extract, diff, write artifacts, commit state")
    run.add_argument("plan", type=Path, help="a plan.json written by `compiler build`")
    run.add_argument("--state-dir", type=Path, default=Path("state"), help="connector state folder (./state)")
    run.add_argument("--dry-run", action="store_true", help="compute and print the changes; write nothing")
    run.add_argument("--allow-mass-delete", action="store_true", help="override the delete guard for this run")
    run.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    run.add_argument(
        "--source-root",
        type=Path,
        help="the connector repository: refuse the plan if its connector files changed here, and read file_pull's"
        " relative folders from it (default for those: the git work tree holding the plan)",
    )
    run.add_argument(
        "--memory-limit",
        metavar="MB",
        help="DuckDB memory before it spills to disk (default: a quarter of this machine's or container's memory)",
    )
    from runtime.push.command import add_serve_parser

    add_serve_parser(commands)
    from runtime.harness.command import add_test_parser

    add_test_parser(commands)
    demo = commands.add_parser("demo", help="sync a demo connector from an embedded database, twice")
    demo.add_argument("--dir", type=Path, default=Path("demo"), help="working folder for the demo (./demo)")
    emulator = commands.add_parser("emulator", help="run a local emulator of a Google API")
    emulators = emulator.add_subparsers(dest="emulator", required=True)
    from runtime.emulator.discoveryengine.cli import add_arguments

    add_arguments(emulators.add_parser("discoveryengine", help="the Discovery Engine v1 REST API, on this machine"))
    return parser


def _exec(args: argparse.Namespace) -> int:
    STOP.install()
    try:
        plan = load_plan(args.plan, args.source_root)
        progress = progress_printer(unit="rows" if plan.mode == "sql_pull" else "records") if not args.json else None
        memory = parse_memory_mb(args.memory_limit, "--memory-limit") if args.memory_limit else None
        try:
            report = execute(
                plan,
                ExecOptions(
                    state_dir=args.state_dir,
                    dry_run=args.dry_run,
                    allow_mass_delete=args.allow_mass_delete,
                    progress=progress,
                    memory_limit_mb=memory,
                    source_root=args.source_root or plan_work_tree(args.plan),
                ),
            )
        finally:
            clear_line()
    except RuntimeFailure as failure:
        print(f"runtime: error: {failure}", file=sys.stderr)
        if args.json:
            print(json.dumps({"status": "failed", "error": str(failure), "exitCode": failure.exit_code}))
        return failure.exit_code
    if args.json:
        print(render_json(report))
    else:
        print(render_text(report), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "exec":
            return _exec(args)
        if args.command == "serve":
            from runtime.push.serve import serve_command

            return serve_command(args)
        if args.command == "test":
            from runtime.harness.command import run_test_command

            return run_test_command(args)
        if args.command == "emulator":
            from runtime.emulator.discoveryengine.cli import run

            return run(args)
        from runtime.demo import run_demo

        return run_demo(args.dir)
    except KeyboardInterrupt:
        print("runtime: interrupted; nothing was committed", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, never a traceback (secrets are redacted below this level)
        if args.debug:  # the traceback, with every SECRET_* value masked all the same
            from runtime.redact import redact

            secrets = [value for name, value in os.environ.items() if name.startswith("SECRET_")]
            print(redact(traceback.format_exc(), secrets), end="", file=sys.stderr)
            return 1
        print(
            f"runtime: internal error: {type(exc).__name__}: {exc} (this is a bug; please report it; "
            "--debug shows the traceback)",
            file=sys.stderr,
        )
        return 1
