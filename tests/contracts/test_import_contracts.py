"""The plan is the only seam between compiler and runtime: enforced on the source, not hoped for."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(package: str) -> Iterator[tuple[str, int, str]]:
    """(file, line, imported module) for every absolute import in a package's source."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(path.relative_to(ROOT)), node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield str(path.relative_to(ROOT)), node.lineno, node.module


def _allowed_for_runtime(module: str) -> bool:
    return not module.startswith("compiler") or module == "compiler.plan" or module.startswith("compiler.plan.")


def test_runtime_imports_only_the_plan_contract_from_the_compiler() -> None:
    offending = [f"{f}:{line}: {m}" for f, line, m in imports("runtime") if not _allowed_for_runtime(m)]
    assert not offending, "runtime must import only compiler.plan:\n" + "\n".join(offending)


def test_plan_contract_imports_nothing_else_from_the_compiler() -> None:
    offending = [
        f"{f}:{line}: {m}"
        for f, line, m in imports("compiler/plan")
        if m.startswith("compiler") and not m.startswith("compiler.plan")
    ]
    assert not offending, "compiler.plan must stand alone:\n" + "\n".join(offending)


def test_compiler_never_imports_the_runtime() -> None:
    offending = [f"{f}:{line}: {m}" for f, line, m in imports("compiler") if m.split(".")[0] == "runtime"]
    assert not offending, "\n".join(offending)


@pytest.mark.parametrize("module", ["compiler.check.rules.cron_syntax", "runtime.cli"])
def test_the_checker_sees_real_imports(module: str) -> None:
    """Guard the guard: the scanner finds imports in files we know have them."""
    package = module.split(".", maxsplit=1)[0]
    found = [m for f, _line, m in imports(package) if f.replace("/", ".").removesuffix(".py") == module]
    assert found, f"no imports found in {module}; the scanner is broken"
