"""The runtime's libraries are extras of the package: a missing one is a one-line error naming the extra.

`pip install gemini-sync` is the linter and compiler only; `runtime exec` needs `[runtime]` (DuckDB, Arrow,
SQLAlchemy, httpx) and each source its driver's extra. `require` checks a driver before its extractor is
imported; `console_main` is the `runtime` command, so that even a missing `[runtime]` is one line, not a traceback.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

from compiler.plan.providers import PROVIDERS
from runtime.errors import SourceError

PACKAGE = "gemini-sync"
EXTRAS: dict[str, str] = {
    "duckdb": "runtime",
    "pyarrow": "runtime",
    "sqlalchemy": "runtime",
    "httpx": "runtime",
    **{p.driver_module: p.extra for p in PROVIDERS.values() if p.driver_module and p.extra},
    "google": "gcs",  # google-cloud-storage, google-auth
}
"""Top-level module -> the extra that installs it (pyproject.toml's [project.optional-dependencies]); each SQL
driver's from the provider table (`compiler.plan.providers`)."""


class MissingExtra(SourceError):
    """A library the run needs is not installed; the message says which extra to install."""


def install_hint(module: str) -> str:
    extra = EXTRAS.get(module.partition(".")[0])
    what = f"the '{extra}' extra" if extra else module
    command = f"pip install '{PACKAGE}[{extra}]'" if extra else f"pip install {module}"
    return f"{module} is not installed; it comes with {what}: {command}"


def require(module: str) -> None:
    """Raise MissingExtra unless `module` can be imported (checked without importing it)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing (google for google.cloud.storage)
        found = False
    if not found:
        raise MissingExtra(install_hint(module))


def console_main(argv: Sequence[str] | None = None) -> int:
    """The `runtime` console script: `runtime.cli.main`, once the libraries it imports are known to be there."""
    try:
        from runtime.cli import main
    except ModuleNotFoundError as error:
        top = (error.name or "").partition(".")[0]
        if top not in EXTRAS:
            raise
        print(f"runtime: error: {install_hint(top)}", file=sys.stderr)
        return 2
    return main(argv)
