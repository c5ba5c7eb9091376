"""JUnit XML: one test case per file checked, failing with its diagnostics (CI test tabs read this)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from compiler.report._types import SourceLines

if TYPE_CHECKING:
    from compiler.validation import ValidationResult


def render(result: ValidationResult, sources: SourceLines) -> str:
    by_file: dict[str, list[str]] = {f.path: [] for f in result.files}
    failing: dict[str, bool] = {}
    for d in result.diagnostics:
        line = f"{d.file}:{d.line}:{d.column}: {d.severity}[{d.code}] {d.message}"
        by_file.setdefault(d.file, []).append(line + (f" (help: {d.suggestion})" if d.suggestion else ""))
        failing[d.file] = failing.get(d.file, False) or d.severity == "error"
    failures = sum(1 for path in by_file if failing.get(path))
    suites = ET.Element("testsuites", name="validate_connectors", tests=str(len(by_file)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name="connectors", tests=str(len(by_file)), failures=str(failures))
    for path, lines in by_file.items():
        case = ET.SubElement(suite, "testcase", classname="connectors", name=path)
        if failing.get(path):
            failure = ET.SubElement(case, "failure", message=lines[0], type="error")
            failure.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
