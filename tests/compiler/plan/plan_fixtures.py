"""Connector documents as plain dicts (what the linter hands to lowering) and a one-call lowering helper."""

from __future__ import annotations

import copy
from typing import Any

from compiler.lower import lower
from compiler.plan import InputFile, Plan

INPUT = InputFile(path="connectors/example.yaml", sha256="0" * 64)

_COMMON: dict[str, Any] = {
    "mapping": {"idField": "id", "titleField": "title", "contentTemplate": "{{ title }}"},
    "output": {"bucket": "gs://example-bucket"},
    "gemini": {"projectId": "example-project", "location": "global", "dataStoreId": "example-ds"},
    "reconciliation": {"deletePolicy": "never_delete"},
}

_SOURCES: dict[str, dict[str, Any]] = {
    "sql_pull": {"type": "postgres", "secretRef": "db-url", "query": "SELECT id, title FROM docs"},
    "rest_pull": {"type": "http", "secretRef": "api-token", "url": "https://api.example.com/items"},
    "rest_push": {"type": "http", "secretRef": "push-token"},
    "file_pull": {"type": "file", "path": "exports/docs", "glob": "*.csv"},
}


def connector(mode: str, name: str = "example") -> dict[str, Any]:
    """A minimal valid connector of `mode`; tests change what they exercise."""
    spec: dict[str, Any] = {"mode": mode, "source": copy.deepcopy(_SOURCES[mode]), **copy.deepcopy(_COMMON)}
    if mode != "rest_push":
        spec["schedule"] = "0 * * * *"
    return {"apiVersion": "sync.gemini.io/v1alpha1", "kind": "Connector", "metadata": {"name": name}, "spec": spec}


def lowered(data: dict[str, Any]) -> Plan:
    return lower(data, (INPUT,))
