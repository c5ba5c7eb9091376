"""The SQL providers: one table, and every per-provider list in the compiler, the runtime and the tests reads it.

A provider is a value of the connector's `spec.source.type` for `sql_pull` and of a plan's `source.provider`.
Each row says how the compiler parses its SQL (the sqlglot dialect), how the runtime connects (the SQLAlchemy
driver, the URL schemes a secret may use, the default port, the Python module the driver imports and the package
extra that installs it), what a secret's URL looks like, and whether the database is a file (embedded) or a server.

Derived here, not repeated: `compiler.plan.read_only_sql.DIALECTS`, `compiler.lower.sql.DRIVERS`,
`runtime.extract.urls.BACKENDS`, `EMBEDDED` and `example_url`, the driver-module entries of `runtime.optional.EXTRAS`
and `runtime.extract`'s driver modules, and the database schemes `runtime.redact` treats as DSNs. What cannot be
derived is checked against the table by tests: the `SqlProvider` literal (`compiler.plan.model`), the `source.type`
enum of `connector.schema.json` (whose provider pages the docs drift gate requires), the `provider`, `driver` and
`dialect` enums of `plan.schema.json`, the plan format page, the read-only policy's per-dialect functions and the
extras of `pyproject.toml` (`tests/compiler/plan/test_plan_providers.py`).

Adding a provider: a row here, the literal, both schemas, its docs page, and an extractor path if SQLAlchemy's
generic one does not serve it; the tests name whatever is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from compiler.plan.model import SqlProvider


@dataclass(frozen=True, slots=True)
class Provider:
    """One SQL provider: how its SQL is parsed and how the runtime connects to it."""

    name: SqlProvider
    """The connector's `spec.source.type` and the plan's `source.provider`."""
    dialect: str
    """The sqlglot dialect its SQL is parsed and rendered in (the plan's `source.dialect`)."""
    driver: str
    """SQLAlchemy `dialect+driver` (the plan's `source.driver`); the driver applies when a URL names none."""
    schemes: tuple[str, ...]
    """URL schemes (SQLAlchemy backend names) a secret may use; the first is the one SQLAlchemy is given."""
    default_port: int | None
    """The server's port when the URL names none; None for an embedded database."""
    example_url: str
    """A secret URL of the right form, shown in messages and docs (placeholders only)."""
    driver_module: str | None
    """The top-level Python module the driver imports; None when the standard library has it."""
    extra: str | None
    """The package extra (pyproject.toml) that installs `driver_module`; None when none is needed."""
    embedded: bool
    """A database in a file opened in-process (the URL names a path), not a server."""

    @property
    def driver_name(self) -> str:
        """The driver part of `driver` (`psycopg` of `postgresql+psycopg`); empty for the embedded providers."""
        return self.driver.partition("+")[2]


PROVIDERS: Mapping[str, Provider] = MappingProxyType(
    {
        provider.name: provider
        for provider in (
            Provider(
                name="postgres",
                dialect="postgres",
                driver="postgresql+psycopg",
                schemes=("postgresql", "postgres"),
                default_port=5432,
                example_url="postgresql://user:password@host:5432/database",
                driver_module="psycopg",
                extra="postgres",
                embedded=False,
            ),
            Provider(
                name="mysql",
                dialect="mysql",
                driver="mysql+pymysql",
                schemes=("mysql", "mariadb"),
                default_port=3306,
                example_url="mysql://user:password@host:3306/database",
                driver_module="pymysql",
                extra="mysql",
                embedded=False,
            ),
            Provider(
                name="mssql",
                dialect="tsql",
                driver="mssql+pyodbc",
                schemes=("mssql",),
                default_port=1433,
                example_url="mssql://user:password@host:1433/database?driver=ODBC+Driver+18+for+SQL+Server",
                driver_module="pyodbc",
                extra="mssql",
                embedded=False,
            ),
            Provider(
                name="oracle",
                dialect="oracle",
                driver="oracle+oracledb",
                schemes=("oracle",),
                default_port=1521,
                example_url="oracle://user:password@host:1521/?service_name=SERVICE",
                driver_module="oracledb",
                extra="oracle",
                embedded=False,
            ),
            Provider(
                name="duckdb",
                dialect="duckdb",
                driver="duckdb",
                schemes=("duckdb",),
                default_port=None,
                example_url="duckdb:///path/to/file.duckdb",
                driver_module="duckdb",
                extra="runtime",
                embedded=True,
            ),
            Provider(
                name="sqlite",
                dialect="sqlite",
                driver="sqlite",
                schemes=("sqlite",),
                default_port=None,
                example_url="sqlite:///path/to/file.db",
                driver_module=None,  # sqlite3
                extra=None,
                embedded=True,
            ),
        )
    }
)
"""Provider name -> its row, in the order the schemas and docs list them."""
