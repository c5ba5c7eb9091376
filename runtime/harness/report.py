"""Case results as text (a keyed diff, in colour on a terminal) or JUnit XML (one testcase per case)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from runtime.harness.runner import CaseResult

_RED, _GREEN, _DIM, _RESET = "\033[31m", "\033[32m", "\033[2m", "\033[0m"


def failure_lines(result: CaseResult) -> list[str]:
    """What went wrong, keyed: run, then document id and field, then expected vs actual."""
    if result.error is not None:
        return [result.error]
    lines: list[str] = []
    for run in result.runs:
        for difference in run.differences:
            lines.append(f"run {run.run.index + 1} ({run.run.name}): {difference.where}")
            lines.append(f"    expected: {difference.expected}")
            lines.append(f"    actual:   {difference.actual}")
    return lines


def render_text(results: Sequence[CaseResult], colour: bool) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    out: list[str] = []
    for result in results:
        verdict = paint(_GREEN, "PASS") if result.passed else paint(_RED, "FAIL")
        runs = len(result.case.runs)
        out.append(f"{verdict} {result.case.name} {paint(_DIM, f'({runs} run(s), {result.seconds:.2f} s)')}")
        for line in failure_lines(result):
            colour_of = _GREEN if line.startswith("    expected:") else _RED if line.startswith("    actual:") else ""
            out.append(f"  {paint(colour_of, line) if colour_of else line}")
    failed = sum(not r.passed for r in results)
    seconds = sum(r.seconds for r in results)
    summary = f"{len(results) - failed} passed, {failed} failed ({len(results)} case(s), {seconds:.2f} s)"
    out.append(paint(_RED if failed else _GREEN, summary))
    return "\n".join(out)


def render_junit(results: Sequence[CaseResult]) -> str:
    failed = sum(not r.passed for r in results)
    suite = ET.Element(
        "testsuite",
        name="connector cases",
        tests=str(len(results)),
        failures=str(sum(r.error is None and not r.passed for r in results)),
        errors=str(sum(r.error is not None for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=result.case.connector,
            name=result.case.path.stem,
            file=str(result.case.path),
            time=f"{result.seconds:.3f}",
        )
        if not result.passed:
            lines = failure_lines(result)
            tag = "error" if result.error is not None else "failure"
            ET.SubElement(case, tag, message=lines[0] if lines else "failed").text = "\n".join(lines)
    root = ET.Element("testsuites", tests=str(len(results)), failures=str(failed))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
