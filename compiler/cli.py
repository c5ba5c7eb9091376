"""`compiler` command line: parses arguments and hands off to one module per subcommand.

Each module in `compiler.commands` exposes `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Exit codes everywhere: 0 success, 1 findings, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from compiler.commands import build, diff, docs, show, validate
from compiler.version import __version__

COMMANDS: tuple[ModuleType, ...] = (validate, build, show, diff, docs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compiler", description="Validate connectors and compile them into plans.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command_parser = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(command_parser)
        command_parser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
