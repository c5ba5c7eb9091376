"""The docstring examples of the plan compiler's modules run, so they cannot rot."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import compiler.lower.secrets
import compiler.lower.sql
import compiler.plan.docid

MODULES = (compiler.lower.sql, compiler.lower.secrets, compiler.plan.docid)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
