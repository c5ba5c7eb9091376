"""Binding a plan to its input files: a path relative to the source root, in posix form, and a SHA-256.

The source root is what makes plans identical across working directories and clones: by default it is the git
work tree that contains the file (the nearest ancestor holding `.git`), else the current directory when the file
is below it, else the file's own folder (so a file outside any work tree is never refused); `--root` overrides it. The runtime's `--source-root` joins the same relative path to find the file again.
"""

from __future__ import annotations

import functools
from pathlib import Path

from compiler.plan import InputFile


class InputPathError(ValueError):
    """An input file that is not under the source root."""


@functools.lru_cache(maxsize=256)
def _work_tree(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def source_root(path: Path, explicit: Path | None = None) -> Path:
    """The root `path` is made relative to (absolute, symlinks resolved)."""
    if explicit is not None:
        return explicit.resolve()
    folder = path.resolve().parent
    cwd = Path.cwd().resolve()
    return _work_tree(folder) or (cwd if folder.is_relative_to(cwd) else folder)


def relative_input_path(path: str, root: Path | None = None) -> str:
    """`path` relative to its source root, with `/` separators."""
    absolute = Path(path).resolve()
    base = source_root(Path(path), root)
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        raise InputPathError(f"{path} is outside the source root {base}; pass --root DIR") from None


def input_file(path: str, sha256: str, root: Path | None = None) -> InputFile:
    """An InputFile with a relative path and a bare lowercase hex digest (no `sha256:` prefix)."""
    digest = sha256.removeprefix("sha256:").lower()
    return InputFile(path=relative_input_path(path, root), sha256=digest)
