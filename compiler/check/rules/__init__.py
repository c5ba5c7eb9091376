"""The semantic rules, one module each, listed explicitly (no discovery by file name).

Document rules run on each schema-valid connector; project rules run once over facts from every file checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from compiler.check.connector import Connector
from compiler.check.facts import ConnectorFacts, ProjectFinding
from compiler.check.finding import Finding
from compiler.check.rules import (
    cron_syntax,
    incremental_auto_delete,
    name_matches_file,
    secret_env_collision,
    sql_bind_parameter,
    sql_missing_column,
    sql_read_only_select,
    sql_select_star,
    sql_syntax,
    template_syntax,
    template_unknown_field,
    unique_name,
    watermark_field_missing,
)


class DocumentRule(Protocol):
    CODE: str

    def check(self, connector: Connector) -> Iterator[Finding]: ...


class ProjectRule(Protocol):
    CODE: str

    def check(self, connectors: Sequence[ConnectorFacts]) -> Iterator[ProjectFinding]: ...


DOCUMENT_RULES: tuple[DocumentRule, ...] = (
    name_matches_file,
    cron_syntax,
    incremental_auto_delete,
    sql_syntax,
    sql_read_only_select,
    sql_missing_column,
    sql_select_star,
    template_syntax,
    template_unknown_field,
    sql_bind_parameter,
    watermark_field_missing,
)

PROJECT_RULES: tuple[ProjectRule, ...] = (unique_name, secret_env_collision)

FILE_NAME_RULES = frozenset({name_matches_file.CODE})
"""Rules about the file's name; skipped when checking text that is not a file (docs examples)."""
