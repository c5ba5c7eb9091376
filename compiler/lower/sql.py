"""SQL source constants the lowering decides: the SQLAlchemy driver of each provider."""

from __future__ import annotations

DRIVERS: dict[str, str] = {
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mssql": "mssql+pyodbc",
    "oracle": "oracle+oracledb",
    "duckdb": "duckdb",
    "sqlite": "sqlite",
}
"""Connector source type -> SQLAlchemy driver name (`dialect+driver`)."""
