"""Every failure the runtime reports on purpose. Anything else is a bug.

    RuntimeFailure (exit_code 1)
    ├── ConfigError        exit 2  plan refused (hash, version, stale input), bad arguments, unsupported mode
    ├── SecretError        exit 1  a secret cannot be resolved; names the env var or store, never a value
    ├── SourceError        exit 1  extraction failed (connect, query, mid-stream); nothing was changed
    ├── MappingError       exit 1  a record cannot become a document; names the record id or row
    ├── DeleteGuardTripped exit 3  the run would delete more than the plan's guard allows
    ├── StateError         exit 1  the state file or the artifacts cannot be read or written
    └── Interrupted        exit 130  SIGTERM/SIGINT stopped the run; nothing was committed

The CLI prints `str(error)` as one line and exits with `exit_code`; a message says what failed and the fix.
Every message is made one line when the failure is created (`one_line`), whatever a driver or DuckDB put in it.
"""

from __future__ import annotations

import re

# DuckDB appends the statement with a caret (`LINE 1: SELECT ...` then `^`); psycopg adds `LINE 1:` context and
# `HINT:`/`DETAIL:` lines. The context repeats SQL the user already has, and a caret means nothing on one line.
_CONTEXT = re.compile(r"\n\s*LINE \d+:.*?(?=\n\s*(?:HINT|DETAIL):|\Z)", re.DOTALL)


def one_line(message: str) -> str:
    """`message` as one line: statement context dropped, every run of whitespace (newlines too) one space."""
    return " ".join(_CONTEXT.sub("", message).split())


class RuntimeFailure(Exception):
    """Base of every expected runtime failure. The message is kept as one line."""

    exit_code: int = 1

    def __init__(self, message: str = "") -> None:
        super().__init__(one_line(message))


class ConfigError(RuntimeFailure):
    """The plan or the command line cannot be used as given."""

    exit_code = 2


class SecretError(RuntimeFailure):
    """A secret could not be resolved. The message names where it was looked up, never its value."""


class SourceError(RuntimeFailure):
    """Extraction failed. The message must never contain a secret (e.g. a connection URL's password)."""


class MappingError(RuntimeFailure):
    """A record cannot be mapped to a document (bad id, template failure, duplicate ids)."""


class DeleteGuardTripped(RuntimeFailure):
    """The run would delete more documents than the plan's delete guard allows."""

    exit_code = 3


class StateError(RuntimeFailure):
    """The connector's state or the run's artifacts could not be read or committed."""


class Interrupted(RuntimeFailure):
    """SIGTERM or SIGINT stopped the run before its commit; nothing was committed."""

    exit_code = 130
