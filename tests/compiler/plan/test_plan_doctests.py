"""The docstring examples of the plan compiler's modules run, so they cannot rot."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import compiler.analysis.dialects
import compiler.analysis.secrets
import compiler.analysis.watermark
import compiler.plan.docid

MODULES = (compiler.analysis.dialects, compiler.analysis.watermark, compiler.analysis.secrets, compiler.plan.docid)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
