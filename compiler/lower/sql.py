"""SQL source constants the lowering decides: the SQLAlchemy driver of each provider."""

from __future__ import annotations

from compiler.plan.providers import PROVIDERS

DRIVERS: dict[str, str] = {name: provider.driver for name, provider in PROVIDERS.items()}
"""Connector source type -> SQLAlchemy driver name (`dialect+driver`), from the provider table."""
