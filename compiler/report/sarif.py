"""SARIF 2.1.0 for code-scanning dashboards: every code is a rule, every diagnostic a result with a region."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import quote

from compiler.check.codes import CODES
from compiler.report._types import SourceLines
from compiler.version import __version__

if TYPE_CHECKING:
    from compiler.validation import ValidationResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(result: ValidationResult, sources: SourceLines) -> str:
    rules = [
        {
            "id": code.code,
            "name": code.name,
            "shortDescription": {"text": code.summary},
            "defaultConfiguration": {"level": str(code.severity)},
        }
        for code in CODES
    ]
    index = {code.code: i for i, code in enumerate(CODES)}
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": str(d.severity),
            "message": {"text": d.message + (f" ({d.suggestion})" if d.suggestion else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(d.file)},  # a URI: spaces and '#' are escaped
                        "region": {
                            "startLine": d.line,
                            "startColumn": d.column,
                            "endLine": d.end_line,
                            "endColumn": max(d.end_column, d.column + 1) if d.end_line == d.line else d.end_column,
                        },
                    },
                    "logicalLocations": [{"fullyQualifiedName": d.pointer or "/"}],
                }
            ],
        }
        for d in result.diagnostics
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "validate_connectors", "version": __version__, "rules": rules}},
                "columnKind": "unicodeCodePoints",  # our columns count characters; SARIF's default is UTF-16 units
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
