"""Check files: schema first; semantic rules only on schema-valid documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compiler.analysis.secrets import secret_env_name, secret_refs
from compiler.check.case import check_case_schema, is_case_path
from compiler.check.codes import lookup
from compiler.check.connector import Connector
from compiler.check.facts import ConnectorFacts, SecretFact
from compiler.check.finding import Finding, make_diagnostic
from compiler.check.places import data_store_place, output_place
from compiler.check.registry import DOCUMENT_RULES, FILE_NAME_RULES
from compiler.check.result import CheckedFile
from compiler.check.schema import check_schema
from compiler.check.suppressions import find_suppressions
from compiler.diagnostics import Diagnostic, Fix
from compiler.load import LoadedDocument, LoadedFile, Positions, Problem, Span, load_bytes

__all__ = ["check_file", "check_loaded"]


def _from_problem(path: str, problem: Problem) -> Diagnostic:
    return make_diagnostic(path, problem.span, problem.code, problem.message, problem.pointer, problem.suggestion)


def _span_of(finding: Finding, positions: Positions, lines: Sequence[str]) -> Span:
    span = positions.of_key(finding.pointer) if finding.at_key else positions.of_value(finding.pointer)
    if finding.line_offset <= 0:
        return span
    # A problem on a later line of a literal block scalar (`|`): point at that line's first character. Only there
    # do the value's lines match the file's: folded (`>`), plain and quoted scalars join or escape line breaks.
    literal = span.line <= len(lines) and lines[span.line - 1][span.column - 1 : span.column] == "|"
    line = span.line + finding.line_offset + 1
    if not literal or line > len(lines):
        return span
    text = lines[line - 1]
    column = len(text) - len(text.lstrip()) + 1
    return Span(line, column, line, len(text) + 1)


def _facts(path: str, index: int, data: Any, positions: Positions) -> ConnectorFacts:
    secrets = tuple(
        SecretFact(ref, secret_env_name(ref), pointer, positions.of_value(pointer))
        for ref, pointer in secret_refs(data["spec"])
    )
    name = data["metadata"]["name"]
    return ConnectorFacts(
        path,
        index,
        name,
        positions.of_value("/metadata/name"),
        secrets,
        output=output_place(data, positions),
        data_store=data_store_place(data, positions),
    )


def _document_marker(span: Span, lines: Sequence[str]) -> Span:
    """An empty document's node sits where the next token is (possibly past the end, or on the next document's
    '---'): point at this document's own '---' instead."""
    start = min(span.line, len(lines)) - 1
    if span.line <= len(lines) and span.column == 1 and lines[start].startswith("---"):
        start -= 1  # the node is at the next document's marker
    for index in range(start, -1, -1):
        if lines[index].startswith("---"):
            return Span(index + 1, 1, index + 1, 4)
    return span


CASE_START = "start with 'connector: <the connector's metadata.name>' and 'runs:'"


def _diagnostics(
    path: str, document: LoadedDocument, lines: Sequence[str], findings: list[Finding]
) -> list[Diagnostic]:
    diagnostics = []
    for finding in findings:
        span = _span_of(finding, document.positions, lines)
        edit = finding.fix
        fix = Fix(edit.kind, document.index, finding.pointer, edit.value, edit.description) if edit else None
        diagnostics.append(
            make_diagnostic(path, span, finding.code, finding.message, finding.pointer, finding.suggestion, fix)
        )
    return diagnostics


def _check_document(
    path: str, document: LoadedDocument, lines: Sequence[str], check_file_name: bool, case: bool = False
) -> tuple[list[Diagnostic], ConnectorFacts | None]:
    diagnostics = [_from_problem(path, problem) for problem in document.problems]
    data = document.data
    if data is None:
        if not document.problems:
            span = _document_marker(document.positions.document, lines)
            diagnostics.append(
                make_diagnostic(path, span, "GS003", "the document is empty", "", "remove the empty '---' document")
            )
        return diagnostics, None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r})"[:80]
        diagnostics.append(
            make_diagnostic(
                path,
                document.positions.document,
                "GS004",
                f"the document is {kind}, not a mapping of fields",
                "",
                CASE_START if case else "start with 'apiVersion: sync.gemini.io/v1alpha1' and 'kind: Connector'",
            )
        )
        return diagnostics, None
    if case:  # a harness case: its own schema, and no connector rules or facts
        diagnostics.extend(_diagnostics(path, document, lines, check_case_schema(data)))
        return diagnostics, None
    findings = check_schema(data)
    if not findings and not document.problems:
        connector = Connector(path, data)
        for rule in DOCUMENT_RULES:
            if check_file_name or rule.CODE not in FILE_NAME_RULES:
                findings.extend(rule.check(connector))
    diagnostics.extend(_diagnostics(path, document, lines, findings))
    # Read and schema-valid: the semantic rules ran. A semantic error may still be silenced, so the document's
    # data and facts are kept; whether it may be compiled is decided once suppressions and settings apply.
    valid = not any(d.severity == "error" and lookup(d.code).structural for d in diagnostics)
    return diagnostics, _facts(path, document.index, data, document.positions) if valid else None


def check_loaded(loaded: LoadedFile, *, check_file_name: bool = True) -> CheckedFile:
    diagnostics = [_from_problem(loaded.path, problem) for problem in loaded.problems]
    facts: list[ConnectorFacts] = []
    documents: list[Any] = []
    lines = loaded.text.splitlines()
    case = is_case_path(loaded.path)
    for document in loaded.documents:
        if case and document.index > 0:  # the harness reads one case per file
            span = _document_marker(document.positions.document, lines)
            message = f"a case file holds one case; document {document.index + 1} would be ignored"
            hint = "move this case into a file of its own"
            diagnostics.append(make_diagnostic(loaded.path, span, "GS058", message, "", hint))
            continue
        # A file holding several connectors cannot be named after each; GS102 keeps their names apart.
        single = len(loaded.documents) == 1
        found, document_facts = _check_document(loaded.path, document, lines, check_file_name and single, case)
        diagnostics.extend(found)
        if document_facts is not None:
            facts.append(document_facts)
            documents.append(document.data)
    diagnostics.sort(key=Diagnostic.sort_key)
    suppressions = find_suppressions(loaded.text)
    return CheckedFile(loaded.path, loaded.sha256, tuple(diagnostics), tuple(facts), tuple(documents), suppressions)


def check_file(raw: bytes, path: str, *, check_file_name: bool = True) -> CheckedFile:
    """Load and check one file's bytes. `path` is shown in diagnostics and names the file for GS101."""
    return check_loaded(load_bytes(raw, path), check_file_name=check_file_name)
