"""Paths as code-scanning tools want them: relative to the repository root, not to the current directory.

The repository root is the git work tree holding the current directory (the nearest ancestor with `.git`), where
CI checks out the repository and runs the linter; outside any work tree, the current directory. A file outside the
root is named by its absolute path.
"""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def _work_tree(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def repository_root() -> Path:
    cwd = Path.cwd().resolve()
    return _work_tree(cwd) or cwd


def from_root(shown: str, root: Path | None) -> str | None:
    """`shown` (a path as diagnostics name it) relative to `root`, with '/'; None when outside it."""
    if root is None:
        return None
    try:
        return Path(shown).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def annotation_path(shown: str) -> str:
    """Relative to the repository root when inside it, else absolute."""
    return from_root(shown, repository_root()) or Path(shown).resolve().as_posix()
