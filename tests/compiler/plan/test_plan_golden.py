"""Golden plans for the example connectors: `compiler build connectors` must reproduce them byte for byte.

The golden files in tests/golden/plans/ were reviewed by hand. After an intended change to the lowering, the plan
format, the compiler version or an example connector, regenerate them from the repository root with

    .venv/bin/compiler build connectors --out tests/golden/plans

review the change with `git diff tests/golden/plans` (or `compiler diff OLD NEW`), and commit it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from compiler.emit.plan_diff import flatten
from compiler.plan import loads

ROOT = Path(__file__).parents[3]
GOLDEN = ROOT / "tests" / "golden" / "plans"
SCHEMA = ROOT / "compiler" / "schema" / "plan.schema.json"
EXAMPLES = ("hr-employees", "hr-file-csv", "kb-rest", "support-push")
REGENERATE = ".venv/bin/compiler build connectors --out tests/golden/plans"


def build(out: Path, *paths: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", "build", *paths, "--out", str(out)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plans")
    result = build(out, "connectors")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_golden_set_is_the_examples() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.plan.json")) == [f"{n}.plan.json" for n in EXAMPLES]


@pytest.mark.parametrize("name", EXAMPLES)
def test_build_matches_golden(built: Path, name: str) -> None:
    expected = (GOLDEN / f"{name}.plan.json").read_bytes()
    actual = (built / f"{name}.plan.json").read_bytes()
    if actual != expected:
        old, new = flatten(loads(expected)), flatten(loads(actual))
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        pytest.fail(f"{name}: plan differs from golden at {changed}; if intended, regenerate: {REGENERATE}")


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_validates_against_plan_schema(name: str) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads((GOLDEN / f"{name}.plan.json").read_bytes())
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(data)
    ]
    assert errors == []


def test_golden_plans_hold_no_secret_values_and_no_absolute_paths() -> None:
    for path in GOLDEN.glob("*.plan.json"):
        text = path.read_text()
        assert str(ROOT) not in text
        assert "/tmp" not in text
        plan = loads(text.encode())
        assert all(not item.path.startswith("/") for item in plan.inputs)
        assert all(secret.env.startswith("SECRET_") for secret in plan.secrets)
