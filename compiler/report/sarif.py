"""SARIF 2.1.0 for code-scanning dashboards: every code is a rule, every diagnostic a result with a region.

Locations are relative to the repository root (`uriBaseId: %SRCROOT%`, as GitHub code scanning expects); a file
outside it gets an absolute `file://` URI. Rules carry their full description and help (the rule's documentation
with its bad and good example) and link to the code's entry on the diagnostics page. Under `--strict` the
warnings that fail the run arrive here as errors, so their level is `error`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from compiler.check.codes import CODES, Code
from compiler.report._types import SourceLines
from compiler.report.locations import from_root, repository_root
from compiler.version import __version__

if TYPE_CHECKING:
    from compiler.validation import ValidationResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "%SRCROOT%"
DIAGNOSTICS_URL = "https://sync.gemini.io/docs/diagnostics/"
"""The diagnostics page (docs/diagnostics.md) under the project's URL namespace, the one the schema's `$id` uses."""


def _rule(code: Code, docs: dict[str, str]) -> dict[str, Any]:
    anchor = code.code.lower()
    details = docs.get(code.code, "")
    page = f"docs/diagnostics.md#{anchor}" if details else "docs/diagnostics.md"
    text = f"{code.summary}\n\n{details}\n\nSee {page}." if details else f"{code.summary} See {page}."
    markdown = f"**{code.code} {code.name}**: {code.summary}\n\n{details}".strip()
    return {
        "id": code.code,
        "name": code.name,
        "shortDescription": {"text": code.summary},
        "fullDescription": {"text": details.partition("\n\n")[0] or code.summary},
        "help": {"text": text, "markdown": markdown},
        "helpUri": DIAGNOSTICS_URL + (f"#{anchor}" if details else ""),
        "defaultConfiguration": {"level": str(code.severity)},
        "properties": {"protectsData": code.protects_data, "silenceable": code.silenceable},
    }


def _location(shown: str, root: Path | None) -> dict[str, str]:
    relative = from_root(shown, root)
    if relative is not None:
        return {"uri": quote(relative), "uriBaseId": ROOT_ID}  # a URI: spaces and '#' are escaped
    return {"uri": Path(shown).resolve().as_uri()}


def render(result: ValidationResult, sources: SourceLines) -> str:
    from compiler.emit.reference import rule_docs  # the rule modules: only when SARIF is asked for

    docs = rule_docs()
    root = repository_root()
    rules = [_rule(code, docs) for code in CODES]
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
                        "artifactLocation": _location(d.file, root),
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
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "validate_connectors", "version": __version__, "rules": rules}},
        "columnKind": "unicodeCodePoints",  # our columns count characters; SARIF's default is UTF-16 units
        "results": results,
    }
    run["originalUriBaseIds"] = {ROOT_ID: {"uri": root.as_uri() + "/"}}
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
