"""`compiler docs`: write the generated documentation pages (field reference, diagnostic codes).

The pages are rendered from the packaged schema and the code registry; see `compiler.emit.reference`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler.emit.reference import generated_pages

NAME = "docs"
HELP = "Write the generated documentation pages (connector field reference, diagnostic codes)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(),
        help="repository root the page paths are relative to (default: the current directory)",
    )


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    if not (root / "docs").is_dir():
        message = f"{root / 'docs'} is not a directory; run from the repository root or pass --root"
        print(f"compiler docs: {message}", file=sys.stderr)
        return 2
    for relative, render in generated_pages().items():
        target = root / relative
        text = render()
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            print(f"unchanged {relative}", file=sys.stderr)
            continue
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        print(f"wrote {relative}", file=sys.stderr)
    return 0
