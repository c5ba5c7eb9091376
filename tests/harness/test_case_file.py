"""Case files are read strictly: every mistake is one error naming the file, line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runtime.harness.case import CaseError, load_case

GOOD = """\
connector: docs
runs:
  - given:
      tables:
        docs:
          - {id: 1}
    expect:
      upserted: []
"""


def load(tmp_path: Path, text: str) -> CaseError:
    path = tmp_path / "case.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(CaseError) as caught:
        load_case(path)
    return caught.value


def test_a_good_case_loads(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(GOOD)
    case = load_case(path)
    assert case.connector == "docs"
    assert case.runs[0].given == {"tables": {"docs": [{"id": 1}]}}
    assert case.runs[0].expect.upserted == []
    assert case.runs[0].expect.deleted is None  # not listed: not checked


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        (GOOD.replace("connector: docs", "connecter: docs"), 1, 1, "unknown key 'connecter'"),
        (GOOD.replace("connector: docs\n", ""), 1, 1, "needs `connector:`"),
        (GOOD.replace("      upserted: []", "      upserted: []\n      failure: boom"), 8, 7, "drop `upserted`"),
        (GOOD.replace("      upserted: []", "      upsert: []"), 8, 7, "unknown key 'upsert'"),
        (GOOD.replace("    expect:\n      upserted: []\n", ""), 3, 5, "has no `expect`"),
        (GOOD.replace("      upserted: []", "      deleted: 3"), 8, 7, "list of document ids"),
        (GOOD.replace("          - {id: 1}", "          - {id: 1}\n      pages: []"), 7, 7, "a run gives one kind"),
        (GOOD.replace("      upserted: []", "      upserted: [{title: x}]"), 8, 18, "has no `id`"),
        ("connector: [docs\n", 2, 1, "not valid YAML"),
    ],
)
def test_mistakes_are_located(tmp_path: Path, text: str, line: int, column: int, words: str) -> None:
    error = load(tmp_path, text)
    assert (error.line, error.column) == (line, column), str(error)
    assert words in str(error)
    assert str(error).startswith(f"{tmp_path / 'case.yaml'}:{line}:{column}: ")
