"""`compiler` command line: parses arguments and hands off to one module per subcommand.

Each module in `compiler.commands` exposes `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Only the module of the command being run is imported, so `compiler validate` on a warm cache never pays for the
SQL parser or the plan lowering. Exit codes everywhere: 0 success, 1 findings, 2 usage or I/O error. An unexpected
error (a bug) is one line and exit 1; `--debug` shows its traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from compiler.version import __version__

COMMANDS: tuple[str, ...] = ("validate", "build", "show", "diff", "docs")
"""Subcommand names; each is the module `compiler.commands.<name>`."""


DEBUG_HELP = "show the traceback of an unexpected error"


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"compiler.commands.{name}")


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with `selected`, other subcommands are registered by name only (not imported)."""
    parser = argparse.ArgumentParser(prog="compiler", description="Validate connectors and compile them into plans.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        if selected is not None and name != selected:
            sub.add_parser(name)
            continue
        module = command_module(name)
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        # Also after the command (`compiler validate --debug`); SUPPRESS keeps a `--debug` given before it.
        command_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        command_parser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in arguments if not a.startswith("-")), None)
    args = build_parser(first if first in COMMANDS else None).parse_args(arguments)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped early (`compiler validate | head`): no traceback, and point stdout at /dev/null so
        # that the interpreter's final flush does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 2
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"compiler: internal error: {type(exc).__name__}: {exc} "
                "(this is a bug; please report it; --debug shows the traceback)",
                file=sys.stderr,
            )
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
