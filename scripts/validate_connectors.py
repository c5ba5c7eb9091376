#!/usr/bin/env python3
"""Validate connector files: `python scripts/validate_connectors.py [PATH ...] [--format ...] [--strict]`.

The same command as `compiler validate`; this wrapper is what pre-commit hooks and the docs call.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from compiler.cli import main

if __name__ == "__main__":
    sys.exit(main(["validate", *sys.argv[1:]]))
