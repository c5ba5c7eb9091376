"""`runtime test [PATH ...]`: run connector cases; `--update`, `--format junit`, `--scaffold CONNECTOR`.

Exit codes: 0 every case passed, 1 a case failed (or could not run), 2 a case file or an argument is invalid.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from runtime.errors import ConfigError
from runtime.harness.case import Case, find_cases, load_case
from runtime.harness.report import render_junit, render_text
from runtime.harness.runner import CaseResult, compile_plans, connector_names, run_cases
from runtime.harness.scaffold import write_scaffold
from runtime.harness.update import write_updates
from runtime.planfile import load_plan


def add_test_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    test = commands.add_parser("test", help="prove connectors offline: run their cases in tests/connectors/")
    test.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="case files, case folders or connector files (default: all)"
    )
    test.add_argument("--root", type=Path, default=Path("."), help="the connector repository (default: .)")
    test.add_argument("--update", action="store_true", help="write the actual results as the new expectations")
    test.add_argument("--format", choices=("text", "junit"), default="text", help="report format (default: text)")
    test.add_argument("--output", type=Path, help="write the report to this file (with --format junit)")
    test.add_argument("--scaffold", metavar="CONNECTOR", help="write a starter case for this connector and run it")


def _paths(args: argparse.Namespace, root: Path) -> list[Path]:
    """Case paths; a connector file stands for its cases (`tests/connectors/<name>/`)."""
    names = {path.resolve(): name for name, path in connector_names(root).items()}
    paths: list[Path] = []
    for path in args.paths:
        name = names.get(path.resolve())
        if name is not None:
            cases = root / "tests" / "connectors" / name
            if not cases.is_dir():
                raise ConfigError(f"{path}: connector {name!r} has no cases; `runtime test --scaffold {name}`")
            paths.append(cases)
        else:
            paths.append(path)
    return paths


def _scaffold(name: str, root: Path) -> Path:
    connectors = connector_names(root)
    if name not in connectors:
        raise ConfigError(f"no connector named {name!r} in {root / 'connectors'}")
    with tempfile.TemporaryDirectory(prefix="gemini-sync-plans-") as tmp:
        diagnostics = compile_plans(root, [connectors[name]], Path(tmp))
        plan_path = Path(tmp) / f"{name}.plan.json"
        if not plan_path.is_file():
            raise ConfigError(f"connector {name!r} does not compile: {diagnostics.splitlines()[0]}")
        return write_scaffold(load_plan(plan_path, root), root)


def run_test_command(args: argparse.Namespace) -> int:
    root: Path = args.root.resolve()
    try:
        if args.scaffold:
            written = _scaffold(args.scaffold, root)
            print(f"wrote {written}; running it to fill in the expectations", file=sys.stderr)
            args.paths, args.update = [written], True
        cases: list[Case] = [load_case(path) for path in find_cases(_paths(args, root), root)]
    except ConfigError as error:
        print(f"runtime: error: {error}", file=sys.stderr)
        return error.exit_code
    if not cases:
        print(f"runtime: error: no case files found (looked in {root / 'tests' / 'connectors'})", file=sys.stderr)
        return 2
    results: list[CaseResult] = []
    for result in run_cases(cases, root):
        results.append(result)
        if args.update and not result.passed and write_updates(result):
            print(f"updated {result.case.path}", file=sys.stderr)
    if args.format == "junit":
        xml = render_junit(results)
        if args.output:
            args.output.write_text(xml, encoding="utf-8")
        else:
            sys.stdout.write(xml)
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = render_text(results, colour=colour)
    print(text, file=sys.stdout if args.format == "text" else sys.stderr)
    if args.update:
        return 1 if any(r.error is not None for r in results) else 0
    return 0 if all(r.passed for r in results) else 1
