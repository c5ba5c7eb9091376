#!/usr/bin/env python3
"""Keep tests ahead of features: fail when something the tool can do has no test.

One line per problem (naming the file, with line:column when the problem is inside a YAML file, and how to fix
it), exit 1 when there is any (exit 2 when the checker itself cannot run):

- a diagnostic code in `compiler.check.codes.CODES` has no case file `tests/check/cases/<CODE>.yaml` with at
  least one case that expects it (under an `expect`/`expected`/`diagnostics`/`violations`/`codes` key);
- a connector in `connectors/*.yaml|yml` (known by its `metadata.name`) has no harness case: no
  `tests/connectors/<name>/**/*.yaml|yml` whose `connector:` is that name;
- a connector's cases never run it twice: none of them has at least two `runs`, so reconciliation (updates and
  deletes against the state of an earlier run) goes untested;
- a harness case under `tests/connectors/` cannot be parsed as YAML, names a `connector:` that is no connector in
  `connectors/`, sits in a folder other than `tests/connectors/<its connector>/`, or has no expectations (no
  `runs`, or a run without a non-empty `expect` mapping);
- a `compiler` or `runtime` subcommand is not run by any test: no call in `tests/**/*.py` passes an argument list
  such as `["compiler", "build", ...]`, `[sys.executable, "-m", "runtime", "exec", ...]`, or `["build", ...]`
  in a module that imports that tool's `cli`, and no call of a runner helper (a function that runs
  `[..., "runtime", *args]`) names it first, as in `cli("exec", plan)`.

It reads the repository as it is (file contents, not which files a commit touched), so touching an unrelated test
cannot satisfy it. The harness itself (`runtime test`) checks the rest of a case's format.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # check this checkout's registry and command lines

TOOLS = ("compiler", "runtime")
EXPECT_KEYS = frozenset({"expect", "expected", "expects", "diagnostics", "violations", "codes"})
YAML_SUFFIXES = (".yaml", ".yml")


class Unreadable(Exception):
    """A YAML file that cannot be read: its problem line, ready to print."""


def load_yaml(path: Path, root: Path, positions: bool = True) -> Any:
    """The file read with ruamel.yaml's round trip (mappings and lists keep their positions), or `Unreadable`.

    Without `positions`, PyYAML's C loader reads it (plain data, ~20x faster: the code case files are many)."""
    rel = path.relative_to(root).as_posix()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise Unreadable(f"{rel}:{line}:{column}: is not UTF-8 text; save it as UTF-8") from None
    try:
        if not positions:
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return YAML(typ="rt").load(text)
    except (MarkedYAMLError, yaml.MarkedYAMLError) as error:
        mark = error.problem_mark or error.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        what = error.problem or error.context or "invalid YAML"
        raise Unreadable(f"{rel}:{where}: cannot be parsed as YAML ({what}); fix the YAML there") from None
    except (YAMLError, yaml.YAMLError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise Unreadable(f"{rel}:1:1: cannot be parsed as YAML ({detail}); fix the YAML") from None


def at(node: Any, key: Any = None, value: bool = False) -> str:
    """`line:column` (1-based) of a mapping key (or its value), a list item, or the node itself."""
    try:
        if key is None:
            line, column = node.lc.line, node.lc.col
        elif isinstance(node, CommentedSeq):
            line, column = node.lc.item(key)
        else:
            line, column = node.lc.value(key) if value else node.lc.key(key)
    except (AttributeError, KeyError, TypeError):
        return "1:1"
    return f"{line + 1}:{column + 1}"


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
            data = load_yaml(path, root, positions=False)
        except Unreadable as problem:
            yield str(problem)
            continue
        if code not in set(expected_codes(data)):
            yield f"{code}: no case in {rel} expects it; add a case whose expected diagnostics include {code}"


def yaml_files(folder: Path, recursive: bool = False) -> list[Path]:
    if not folder.is_dir():
        return []
    found = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(p for p in found if p.is_file() and p.suffix in YAML_SUFFIXES)


@dataclass
class Connector:
    rel: str
    name: str
    where: str
    """`line:column` of its `metadata.name`."""
    cases: int = 0
    most_runs: int = 0


def read_connectors(root: Path) -> tuple[dict[str, list[Connector]], list[str]]:
    """The connectors of `connectors/` by `metadata.name`, and a problem line for each file without a name."""
    by_name: dict[str, list[Connector]] = {}
    problems: list[str] = []
    for path in yaml_files(root / "connectors"):
        rel = path.relative_to(root).as_posix()
        try:
            data = load_yaml(path, root)
        except Unreadable as problem:
            problems.append(f"{problem} (a connector: python scripts/validate_connectors.py says more)")
            continue
        metadata = data.get("metadata") if isinstance(data, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(name, str) or not name:
            where = at(metadata) if isinstance(metadata, dict) else at(data)
            problems.append(f"{rel}:{where}: no metadata.name, so no harness case can name it; give it a name")
            continue
        by_name.setdefault(name, []).append(Connector(rel, name, at(metadata, "name", value=True)))
    return by_name, problems


def _run_label(index: int, run: Any) -> str:
    name = run.get("name") if isinstance(run, dict) else None
    return f"run {index + 1}" + (f" ({name!r})" if isinstance(name, str) and name else "")


def check_case(path: Path, root: Path, connectors: dict[str, list[Connector]]) -> Iterator[str]:
    """Problems of one harness case file; counts the case (and its runs) for its connector when it is placed right."""
    cases_root = root / "tests" / "connectors"
    rel = path.relative_to(root).as_posix()
    try:
        data = load_yaml(path, root)
    except Unreadable as problem:
        yield str(problem)
        return
    if not isinstance(data, CommentedMap):
        what = "is empty" if data is None else "is not a case"
        yield f"{rel}:{at(data)}: {what}; write a mapping with `connector:` and `runs:`"
        return
    parts = path.relative_to(cases_root).parts
    folder = parts[0] if len(parts) > 1 else None
    name = data.get("connector")
    if not isinstance(name, str) or not name:
        where = at(data, "connector", value=True) if "connector" in data else at(data)
        hint = f"connector: {folder}" if folder else "connector: <metadata.name of a connector>"
        yield f"{rel}:{where}: no connector named; add `{hint}`"
    elif name not in connectors:
        known = ", ".join(sorted(connectors)) or "none"
        yield (
            f"{rel}:{at(data, 'connector', value=True)}: connector {name!r} is not in connectors/ (known: {known});"
            " name one of them or add the connector"
        )
    elif folder != name:
        placed = f"in tests/connectors/{folder}/" if folder else "not in a connector folder"
        where = at(data, "connector", value=True)
        yield f"{rel}:{where}: case of {name!r} is {placed}; move it to tests/connectors/{name}/"
    runs = data.get("runs")
    if not isinstance(runs, CommentedSeq) or not runs:
        where = at(data, "runs", value=runs is not None) if "runs" in data else at(data)
        yield f"{rel}:{where}: no runs, so nothing is expected; add `runs:` with at least one run and its `expect:`"
        runs = []
    for index, run in enumerate(runs):
        expect = run.get("expect") if isinstance(run, dict) else None
        if isinstance(expect, dict) and expect:
            continue
        where = at(run, "expect") if isinstance(run, dict) and "expect" in run else at(runs, index)
        yield (
            f"{rel}:{where}: {_run_label(index, run)} expects nothing; give it a non-empty `expect:` mapping"
            " (upserted, deleted, softDeleted, watermark or failure)"
        )
    if isinstance(name, str) and folder == name:
        for connector in connectors.get(name, []):
            connector.cases += 1
            connector.most_runs = max(connector.most_runs, len(runs))


def check_connectors(root: Path) -> Iterator[str]:
    connectors, problems = read_connectors(root)
    yield from problems
    for path in yaml_files(root / "tests" / "connectors", recursive=True):
        yield from check_case(path, root, connectors)
    for connector in sorted((c for same in connectors.values() for c in same), key=lambda c: c.rel):
        prefix = f"{connector.rel}:{connector.where}: connector {connector.name!r}"
        if not connector.cases:
            yield (
                f"{prefix} has no harness case; add tests/connectors/{connector.name}/<case>.yaml with"
                f" `connector: {connector.name}` (`runtime test --scaffold {connector.name}` writes a starter)"
            )
        elif connector.most_runs < 2:
            yield (
                f"{prefix} has no case with two runs, so reconciliation goes untested; add a second run (an update"
                f" or a delete) to a case in tests/connectors/{connector.name}/"
            )


def python_tests(root: Path) -> list[Path]:
    tests = root / "tests"
    return sorted(p for p in tests.rglob("*.py") if p.is_file()) if tests.is_dir() else []


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
    helpers = known_runners if known_runners is not None else runners(tree)  # known: every module's, found once
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
        files = python_tests(root)
        problems = [
            *check_codes(root, [c.code for c in CODES]),
            *check_connectors(root),
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
