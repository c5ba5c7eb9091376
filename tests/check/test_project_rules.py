"""Cross-file rules as properties: for any set of connectors, GS102 flags every repeat of a name and GS104 every
secretRef that maps to an already used SECRET_* variable under another spelling; each finding names the first."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.validation import validate_paths

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8"))

names = st.sampled_from(["hr", "kb", "crm"])
refs = st.sampled_from(["db", "DB", "d-b", "d.b", "d_b", "other", "other-2"])


def _env(ref: str) -> str:
    return "SECRET_" + ref.upper().replace("-", "_").replace(".", "_")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(connectors=st.lists(st.tuples(names, refs), min_size=1, max_size=6))
def test_unique_names_and_secret_collisions(connectors: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for index, (name, ref) in enumerate(connectors):
            document = yaml.safe_load(yaml.safe_dump(BASE))
            document["metadata"]["name"] = name
            document["spec"]["source"]["secretRef"] = ref
            # Each connector its own artifact folder and data store: GS121/GS122 are not what is tested here.
            document["spec"]["output"]["prefix"] = name
            document["spec"]["gemini"]["dataStoreId"] = f"{name}-ds"
            target = root / f"d{index}" / f"{name}.yaml"
            target.parent.mkdir()
            target.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        old = os.getcwd()
        try:
            os.chdir(root)
            result = validate_paths(["."], use_cache=False)
        finally:
            os.chdir(old)
    files = [f"d{index}/{name}.yaml" for index, (name, _) in enumerate(connectors)]
    # Oracle: walk the files in the order the linter reports them (by path) and remember what came first.
    first_name: dict[str, str] = {}
    first_ref: dict[str, tuple[str, str]] = {}
    expected = []
    for path, (name, ref) in sorted(zip(files, connectors, strict=True)):
        if first_name.setdefault(name, path) != path:
            expected.append((path, "GS102", first_name[name]))
        earlier_path, earlier_ref = first_ref.setdefault(_env(ref), (path, ref))
        if earlier_ref != ref:
            expected.append((path, "GS104", earlier_path))
    got = [(d.file, d.code, d.message) for d in result.diagnostics]
    assert sorted((f, c) for f, c, _ in got) == sorted((f, c) for f, c, _ in expected), got
    for path, code, first in expected:
        message = next(m for f, c, m in got if (f, c) == (path, code))
        assert f"{first}:" in message, (code, message)
