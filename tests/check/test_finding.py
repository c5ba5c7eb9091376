"""Helpers every rule uses for its message: did-you-mean and shortened listings."""

from __future__ import annotations

from pathlib import Path

from compiler.check.finding import MAX_SUGGESTION_CANDIDATES, did_you_mean, listing
from compiler.validation import validate_text

REPO = Path(__file__).resolve().parents[2]


def test_did_you_mean_picks_the_closest() -> None:
    assert did_you_mean("quey", ["query", "type", "secretRef"]) == "did you mean 'query'?"
    assert did_you_mean("zzzz", ["query", "type"]) is None
    assert did_you_mean("anything", []) is None


def test_did_you_mean_gives_up_on_huge_candidate_lists() -> None:
    many = [f"column_{i}" for i in range(MAX_SUGGESTION_CANDIDATES)]
    assert did_you_mean("column_7x", many) is not None
    assert did_you_mean("column_7x", [*many, "one_more"]) is None


def test_listing_shortens() -> None:
    assert listing(["a", "b"]) == "a, b"
    assert listing([str(i) for i in range(25)], limit=3) == "0, 1, 2, ... and 22 more"


def test_many_missing_columns_only_the_first_fifty_get_suggestions() -> None:
    """Suggestions cost a comparison with every column; past 50 findings a rule stops offering them."""
    columns = ", ".join(f"c{i}" for i in range(60))
    template = " ".join(f"{{{{ c{i}x }}}}" for i in range(60))
    text = f"""apiVersion: sync.gemini.io/v1alpha1
kind: Connector
metadata: {{name: t}}
spec:
  mode: sql_pull
  schedule: "0 * * * *"
  source: {{type: postgres, secretRef: s, query: "SELECT id, {columns} FROM t"}}
  mapping: {{idField: id, contentTemplate: "{template}"}}
  output: {{bucket: "file://x"}}
  gemini: {{projectId: example-project, location: global, dataStoreId: d}}
  reconciliation: {{deletePolicy: never_delete}}
"""
    found = [d for d in validate_text(text, path="t.yaml") if d.code == "GS111"]
    assert len(found) == 60
    hints = [d.suggestion or "" for d in found]
    assert sum(h.startswith("did you mean") for h in hints) == 50
    assert sum(h.startswith("add ") for h in hints) == 10
    assert all("... and 41 more)" in d.message for d in found)


def test_long_values_are_shortened_in_schema_messages() -> None:
    text = (REPO / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8")
    found = validate_text(text.replace("location: global", "location: " + "x" * 100_000), path="hr-employees.yaml")
    (diagnostic,) = found
    assert diagnostic.code == "GS053"
    assert "(100,000 characters)" in diagnostic.message
    assert len(diagnostic.message) < 200
