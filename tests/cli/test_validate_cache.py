"""The lint cache answers exactly what a fresh check answers, for any file (property-based), and its key changes
with the content, the path and the file-name rule."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.cache import LintCache, cache_dir, entry_key
from compiler.validation import validate_paths

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [path.read_text(encoding="utf-8") for path in sorted((REPO / "connectors").glob("*.yaml"))]


def _mutate(text: str, at: int, insert: str, cut: int) -> str:
    at %= len(text) + 1
    return text[:at] + insert + text[at + cut :]


def _run_twice(files: dict[str, str]) -> tuple[object, object, object]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        old = os.getcwd()
        os.environ["GEMINI_SYNC_CACHE_DIR"] = str(root / ".cache")
        try:
            os.chdir(root)
            fresh = validate_paths(["."], use_cache=False)
            first = validate_paths(["."], use_cache=True)
            cached = validate_paths(["."], use_cache=True)
        finally:
            os.chdir(old)
    return fresh.diagnostics, first.diagnostics, cached.diagnostics


@pytest.fixture(autouse=True)
def restore_cache_env() -> Iterator[None]:
    before = os.environ.get("GEMINI_SYNC_CACHE_DIR")
    yield
    if before is None:
        os.environ.pop("GEMINI_SYNC_CACHE_DIR", None)
    else:
        os.environ["GEMINI_SYNC_CACHE_DIR"] = before


@settings(
    max_examples=int(os.environ.get("GS_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    which=st.integers(min_value=0, max_value=len(EXAMPLES) - 1),
    at=st.integers(min_value=0, max_value=5000),
    insert=st.text(max_size=12),
    cut=st.integers(min_value=0, max_value=20),
)
def test_cached_answers_equal_fresh_ones(which: int, at: int, insert: str, cut: int) -> None:
    mutated = _mutate(EXAMPLES[which], at, insert, cut)
    files = {"a.yaml": mutated, "hr-employees.yaml": EXAMPLES[0], "b.yaml": EXAMPLES[which]}
    fresh, first, cached = _run_twice(files)
    assert first == fresh
    assert cached == fresh


def test_cache_key_covers_content_path_and_file_name_rule() -> None:
    keys = {
        entry_key("a.yaml", "00", True),
        entry_key("a.yaml", "01", True),
        entry_key("b.yaml", "00", True),
        entry_key("a.yaml", "00", False),
    }
    assert len(keys) == 4


def test_cache_dir_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_SYNC_CACHE_DIR", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x"
    monkeypatch.delenv("GEMINI_SYNC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "gemini-sync"
    assert LintCache(tmp_path / "y").file.parent == tmp_path / "y"
