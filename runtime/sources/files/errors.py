"""DuckDB reader errors as one line naming the file and the line, with a fix; never the file's data.

DuckDB's messages carry the offending text ("Original Line: ...") and a page of options: we keep the line number
and the one-sentence reason, and add what to do. A failure mid-stream reaches us through pyarrow's reader as an
`OSError` with the same text, so every function takes any exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from runtime.errors import SourceError

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_JSON_LINE = re.compile(r"at byte (\d+) in line (\d+): (.*?)\s*$", re.M)
_FIXES = (  # each key lower-cased: DuckDB's capitals vary ("Maximum line size")
    ("unterminated quote", 'close the quote, or double a quote inside a quoted field ("")'),
    ("expected number of columns", "give every row as many fields as the header has"),
    ("invalid unicode", "set spec.source.csv.encoding to the files' encoding (utf-8, utf-16 or latin-1)"),
    ("not utf-16", "set spec.source.csv.encoding to the files' encoding (utf-8, utf-16 or latin-1)"),
    ("maximum line size", "split the line, or check the delimiter and quoting"),
)


def _reason(text: str) -> str:
    """The sentence that says what is wrong: the last non-empty line before DuckDB's list of fixes."""
    lines = text.splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("Possible")), len(lines))
    for line in reversed(lines[:end]):
        stripped = line.strip()
        if stripped and not stripped.startswith(("Original Line", "CSV Error on Line")):
            return stripped.rstrip(".")
    return lines[0].strip() if lines else "unreadable"


def csv_failure(path: str, error: Exception) -> SourceError:
    text = str(error).removeprefix("Invalid Input Error: ")
    line = _CSV_LINE.search(text)
    if line is None:
        return SourceError(f"file {path}: cannot be read as CSV: {text.splitlines()[0]}; fix or remove the file")
    reason = _reason(text[line.end() :])
    lowered = text.lower()
    fix = next((fix for key, fix in _FIXES if key in lowered), "fix the line, or remove the file from the folder")
    return SourceError(f"file {path}, line {line.group(1)}: {reason}; {fix} (nothing was changed)")


def json_failure(path: str, error: Exception, line_of_record: Callable[[int], int] | None = None) -> SourceError:
    """A malformed NDJSON line. DuckDB counts its "line" from 2 over the non-blank lines (its record ordinal + 1);
    `line_of_record` turns an ordinal into the file's own line number."""
    text = str(error)
    where = _JSON_LINE.search(text)
    if where is None:
        return SourceError(f"file {path}: cannot be read as NDJSON: {text.splitlines()[0]}; fix or remove the file")
    ordinal = max(int(where.group(2)) - 1, 1)
    line = line_of_record(ordinal) if line_of_record is not None else ordinal
    return SourceError(
        f"file {path}, line {line}: malformed JSON ({where.group(3).rstrip('. ')}, at byte {where.group(1)} of the"
        " line); write one JSON object per line (nothing was changed)"
    )


def parquet_failure(path: str, error: Exception) -> SourceError:
    first = str(error).removeprefix("Invalid Input Error: ").splitlines()[0]
    return SourceError(
        f"file {path}: cannot be read as Parquet: {first}; replace or remove the file (nothing was changed)"
    )
