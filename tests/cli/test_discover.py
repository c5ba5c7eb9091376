"""Which files `validate` checks when given folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from compiler.validation import discover, validate_paths

ROOT = Path(__file__).resolve().parents[2]


def test_hidden_folders_are_skipped_and_symlinks_count_once(tmp_path: Path) -> None:
    folder = tmp_path / "connectors"
    (folder / ".git").mkdir(parents=True)
    (folder / "team").mkdir()
    shutil.copy(ROOT / "connectors" / "hr-employees.yaml", folder / "hr-employees.yaml")
    shutil.copy(ROOT / "connectors" / "kb-rest.yaml", folder / "team" / "kb-rest.yaml")
    (folder / ".git" / "stray.yaml").write_text("not: a connector\n")
    (folder / "alias.yaml").symlink_to(folder / "hr-employees.yaml")

    found = sorted(p.name for p in discover([str(folder)]))

    assert found == ["hr-employees.yaml", "kb-rest.yaml"], "the link's target is checked under its own name"
    result = validate_paths([str(folder)])
    assert result.diagnostics == (), "a symlinked file must not be reported as a duplicate of itself (GS102)"


def test_a_file_named_twice_is_checked_once(tmp_path: Path) -> None:
    target = tmp_path / "hr-employees.yaml"
    shutil.copy(ROOT / "connectors" / "hr-employees.yaml", target)
    assert len(discover([str(target), str(tmp_path), str(target)])) == 1
