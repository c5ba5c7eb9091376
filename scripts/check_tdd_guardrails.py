#!/usr/bin/env python3
"""Keep tests ahead of features: fail when something the tool can do has no test.

One line per problem, exit 1 when there is any (exit 2 when the checker itself cannot run):

- a diagnostic code in `compiler.check.codes.CODES` has no case file `tests/check/cases/<CODE>.yaml` with at
  least one case that expects it (under an `expect`/`expected`/`diagnostics`/`violations`/`codes` key);
- a connector in `connectors/` is not exercised by any test: no file under `tests/` names it
  (`<stem>.yaml`, `connectors/<stem>`), and no test data is named after it (`tests/**/<stem>.*`, `tests/**/<stem>/`);
- a `compiler` or `runtime` subcommand is not run by any test: no call in `tests/**/*.py` passes an argument list
  such as `["compiler", "build", ...]`, `[sys.executable, "-m", "runtime", "exec", ...]`, or `["build", ...]`
  in a module that imports that tool's `cli`, and no call of a runner helper (a function that runs
  `[..., "runtime", *args]`) names it first, as in `cli("exec", plan)`.

It reads the repository as it is (file contents, not which files a commit touched), so touching an unrelated test
cannot satisfy it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # check this checkout's registry and command lines

TOOLS = ("compiler", "runtime")
EXPECT_KEYS = frozenset({"expect", "expected", "expects", "diagnostics", "violations", "codes"})
DATA_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".txt", ".sql")


def expected_codes(node: Any, inside: bool = False) -> Iterator[str]:
    """Every string found under an expectation key of a YAML case file (a code, or `GS101 4:3`, or {code: ...})."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from expected_codes(value, inside or str(key).lower() in EXPECT_KEYS)
    elif isinstance(node, list):
        for item in node:
            yield from expected_codes(item, inside)
    elif inside and isinstance(node, str):
        yield node.split()[0] if node.split() else node


def check_codes(root: Path, codes: list[str]) -> Iterator[str]:
    cases = root / "tests" / "check" / "cases"
    for code in codes:
        path = cases / f"{code}.yaml"
        rel = path.relative_to(root).as_posix()
        if not path.is_file():
            yield f"{code}: no test case file {rel}; add one with a case that triggers {code}"
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            yield f"{rel}: cannot be read as YAML ({str(error).splitlines()[0]})"
            continue
        if code not in set(expected_codes(data)):
            yield f"{code}: no case in {rel} expects it; add a case whose expected diagnostics include {code}"


def test_files(root: Path) -> list[Path]:
    tests = root / "tests"
    return sorted(p for p in tests.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES) if tests.is_dir() else []


def check_connectors(root: Path, files: list[Path]) -> Iterator[str]:
    connectors = sorted((root / "connectors").glob("*.y*ml")) if (root / "connectors").is_dir() else []
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    names = {p.name for p in (root / "tests").rglob("*")} if (root / "tests").is_dir() else set()
    for connector in connectors:
        stem = connector.stem
        named = any(connector.name in text or f"connectors/{stem}" in text for text in texts)
        data_named = stem in names or any(n.startswith(f"{stem}.") for n in names)
        if not (named or data_named):
            rel = connector.relative_to(root).as_posix()
            yield f"{rel}: not exercised by any test; name {connector.name!r} in a test under tests/"


def _subcommands(tool: str) -> set[str]:
    module = __import__(f"{tool}.cli", fromlist=["build_parser"])
    # `build_parser()` is the convention (compiler.cli); `_parser()` is accepted too.
    factory = getattr(module, "build_parser", None) or module._parser
    parser = factory()
    names: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            names.update(action.choices)
    return names


def _literal_strings(node: ast.expr) -> list[str] | None:
    """The string constants of a list/tuple literal, in order (other elements skipped), or None."""
    if isinstance(node, ast.List | ast.Tuple):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
        return node.value.split()  # a shell string such as "compiler build connectors/"
    return None


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def runners(tree: ast.AST) -> dict[str, str]:
    """Helper functions that run a tool with their arguments: `def cli(*args): run([..., "runtime", *args])`."""
    found: dict[str, str] = {}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            if not isinstance(node, ast.List | ast.Tuple):
                continue
            for before, after in zip(node.elts, node.elts[1:], strict=False):
                if isinstance(after, ast.Starred) and isinstance(before, ast.Constant) and before.value in TOOLS:
                    found[func.name] = str(before.value)
    return found


def commands_run(tree: ast.AST, known_runners: dict[str, str] | None = None) -> set[tuple[str, str]]:
    """(tool, subcommand) pairs that the calls of one test module run."""
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for tool in TOOLS:
                from_cli = node.module == f"{tool}.cli"
                if from_cli or (node.module == tool and any(a.name == "cli" for a in node.names)):
                    imported.add(tool)
        elif isinstance(node, ast.Import):
            imported.update(t for alias in node.names for t in TOOLS if alias.name == f"{t}.cli")
    helpers = {**(known_runners or {}), **runners(tree)}
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        first = node.args[0] if node.args else None
        if name in helpers and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add((helpers[name], first.value))  # cli("exec", ...) through a runner helper
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            strings = _literal_strings(arg)
            if not strings:
                continue
            for i, token in enumerate(strings[:-1]):
                if Path(token).name in TOOLS:
                    found.add((Path(token).name, strings[i + 1]))
            for tool in imported:
                found.add((tool, strings[0]))
    return found


def check_commands(root: Path, files: list[Path]) -> Iterator[str]:
    trees: list[ast.AST] = []
    for path in files:
        if path.suffix != ".py":
            continue
        try:
            trees.append(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        except SyntaxError as error:
            yield f"{path.relative_to(root).as_posix()}:{error.lineno}: cannot be parsed ({error.msg})"
    # Runner helpers may live in one module and be called from others, so collect them across all tests first.
    known: dict[str, str] = {}
    for tree in trees:
        known.update(runners(tree))
    run: set[tuple[str, str]] = set()
    for tree in trees:
        run |= commands_run(tree, known)
    for tool in TOOLS:
        try:
            names = _subcommands(tool)
        except Exception as error:  # the command line itself is broken or missing: that is the finding
            detail = str(error).replace(f"{ROOT}/", "")  # paths relative to the checkout, as everywhere else
            yield f"{tool}: its command line cannot be loaded ({type(error).__name__}: {detail})"
            continue
        for name in sorted(names):
            if (tool, name) not in run:
                yield f"{tool} {name}: no test runs this command; add one under tests/ that runs `{tool} {name}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fail when a feature has no test.")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        from compiler.check.codes import CODES
    except ImportError as error:
        print(f"error: cannot read the diagnostic code registry: {error}", file=sys.stderr)
        return 2
    try:
        files = test_files(root)
        problems = [
            *check_codes(root, [c.code for c in CODES]),
            *check_connectors(root, files),
            *check_commands(root, files),
        ]
    except Exception as error:  # the checker itself failed (an unreadable file): exit 2, one line
        print(f"error: cannot run the TDD guardrails: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} untested feature(s): add the tests first", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
