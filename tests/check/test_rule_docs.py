"""Rule docstrings are a contract (sqlfluff style): a summary line, a **Bad** and a **Good** YAML example, and the
examples do what they say: Bad triggers the rule's code, Good does not.

Examples are fragments (`query: ...`, `schedule: ...`); each document of a fragment is merged into a minimal valid
sql_pull connector at the level its keys belong to (top, spec, source or mapping, as the schema says).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from compiler.check.codes import BY_CODE, CODES
from compiler.check.project import PROJECT_RULES
from compiler.check.registry import DOCUMENT_RULES
from compiler.check.schema import connector_schema
from compiler.validation import validate_paths

RULES: list[Any] = [*DOCUMENT_RULES, *PROJECT_RULES]
SECTION = re.compile(
    r"^\*\*(Bad|Good)\*\*(?:\s*\(in `(?P<path>[^`]+)`\))?[^\n]*\n+```yaml\n(?P<body>.*?)\n```", re.M | re.S
)
SUMMARY = re.compile(r"^(GS\d{3}) ([a-z0-9-]+)(?: \(warning\))?: \S.*$")


def _module_name(rule: Any) -> str:
    return rule.__name__ if isinstance(rule, ModuleType) else type(rule).__name__


def _examples(rule: Any) -> dict[str, tuple[str, str | None]]:
    doc = rule.__doc__ or ""
    return {m.group(1): (m.group("body"), m.group("path")) for m in SECTION.finditer(doc)}


SOURCE_DEFINITION = {"sql_pull": "sqlPullSource", "rest_pull": "restPullSource", "file_pull": "filePullSource"}
BASE_SOURCES: dict[str, dict[str, Any]] = {
    "sql_pull": {"type": "postgres", "secretRef": "example-secret", "query": "SELECT id FROM docs"},
    "rest_pull": {"type": "http", "secretRef": "example-secret", "url": "https://example.com/api"},
    "file_pull": {"type": "file", "path": "exports"},
}


def _levels(mode: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(path of the level, its known keys), for a connector of `mode`: a key goes to the first level that knows it."""
    schema = connector_schema()
    defs = schema["$defs"]
    return [
        ((), tuple(schema["properties"])),
        (("spec",), tuple(schema["properties"]["spec"]["properties"])),
        (("spec", "source"), tuple(defs[SOURCE_DEFINITION[mode]]["properties"])),
        (("spec", "mapping"), tuple(defs["mapping"]["properties"])),
    ]


def _base(index: int, mode: str) -> dict[str, Any]:
    source = copy.deepcopy(BASE_SOURCES[mode])
    return {
        "apiVersion": "sync.gemini.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": f"example-{index}"},
        "spec": {
            "mode": mode,
            "schedule": "0 * * * *",
            "source": source,
            "mapping": {"idField": "id"},
            "output": {"bucket": "file://out"},
            "gemini": {"projectId": "example-project", "location": "global", "dataStoreId": "example"},
            "reconciliation": {"deletePolicy": "never_delete"},
        },
    }


def _merge(target: dict[str, Any], fragment: dict[str, Any]) -> None:
    for key, value in fragment.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _place(key: str, mode: str) -> tuple[str, ...] | None:
    return next((path for path, keys in _levels(mode) if key in keys), None)


def wrap(fragment: dict[str, Any], index: int) -> dict[str, Any]:
    """A full connector with `fragment`'s keys placed where the schema defines them: sql_pull, unless a key (or a
    key under `source`) exists only in another mode (the first of rest_pull, file_pull that knows every key)."""
    keys = [*fragment, *(fragment.get("source") or {})]
    mode = next((m for m in SOURCE_DEFINITION if all(_place(k, m) for k in keys)), "sql_pull")
    connector = _base(index, mode)
    for key, value in fragment.items():
        path = _place(key, mode)
        assert path is not None, f"example key {key!r} is not a field at any level of the connector schema"
        level = connector
        for part in path:
            level = level[part]
        _merge(level, {key: copy.deepcopy(value)})
    return connector


def run_example(body: str, path_hint: str | None, root: Path) -> list[str]:
    """Write each document of the example as its own connector file; return the diagnostic codes."""
    for index, fragment in enumerate(yaml.safe_load_all(body)):
        assert isinstance(fragment, dict), f"example document {index} is not a mapping"
        connector = wrap(fragment, index)
        name = Path(path_hint).name if path_hint else f"{connector['metadata']['name']}.yaml"
        target = root / f"doc{index}" / name
        target.parent.mkdir(parents=True)
        target.write_text(yaml.safe_dump(connector, sort_keys=False), encoding="utf-8")
    return [d.code for d in validate_paths([str(root)], use_cache=False).diagnostics]


def test_every_semantic_code_has_exactly_one_rule_module() -> None:
    rule_codes = [rule.CODE for rule in RULES]
    semantic = [c.code for c in CODES if c.code.startswith("GS1")]
    assert sorted(rule_codes) == sorted(semantic), "rules registered vs GS1xx codes in compiler.check.codes"


@pytest.mark.parametrize("rule", RULES, ids=_module_name)
def test_docstring_has_summary_bad_and_good(rule: Any) -> None:
    doc = rule.__doc__ or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    match = SUMMARY.match(first)
    assert match, f"{_module_name(rule)}: first line must be 'GSxxx name: summary', got {first!r}"
    assert match.group(1) == rule.CODE, f"summary names {match.group(1)}, the module's CODE is {rule.CODE}"
    assert match.group(2) == BY_CODE[rule.CODE].name, "the summary's rule name differs from the codes registry"
    examples = _examples(rule)
    assert set(examples) == {"Bad", "Good"}, f"{_module_name(rule)}: needs a ```yaml block under **Bad** and **Good**"
    assert doc.index("**Bad**") < doc.index("**Good**"), "**Bad** comes before **Good**"


@pytest.mark.parametrize("rule", RULES, ids=_module_name)
def test_bad_example_triggers_the_rule(rule: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body, hint = _examples(rule)["Bad"]
    codes = run_example(body, hint, tmp_path)
    assert rule.CODE in codes, f"the **Bad** example of {rule.CODE} gave {codes}"


@pytest.mark.parametrize("rule", RULES, ids=_module_name)
def test_good_example_passes_the_rule(rule: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body, hint = _examples(rule)["Good"]
    codes = run_example(body, hint, tmp_path)
    assert rule.CODE not in codes, f"the **Good** example of {rule.CODE} gave {codes}"
    # The semantic rules run only on schema-valid documents: a Good example must be one, or it proves nothing.
    assert not [c for c in codes if c < "GS100"], f"the **Good** example of {rule.CODE} is not schema-valid: {codes}"


def test_wrap_places_keys_by_schema_level() -> None:
    wrapped = wrap({"query": "SELECT 1", "contentTemplate": "x", "schedule": "1 * * * *", "metadata": {"name": "n"}}, 0)
    assert wrapped["spec"]["source"]["query"] == "SELECT 1"
    assert wrapped["spec"]["mapping"] == {"idField": "id", "contentTemplate": "x"}
    assert wrapped["spec"]["schedule"] == "1 * * * *"
    assert wrapped["metadata"] == {"name": "n"}
    rest = wrap({"headers": {"Accept": "text/plain"}, "source": {"paginationCursorField": "c"}}, 1)
    assert rest["spec"]["mode"] == "rest_pull"
    assert rest["spec"]["source"]["headers"] == {"Accept": "text/plain"}
    assert rest["spec"]["source"]["paginationCursorField"] == "c"
    with pytest.raises(AssertionError, match="not a field"):
        wrap({"qeury": "SELECT 1"}, 0)
