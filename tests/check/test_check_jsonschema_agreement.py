"""Our linter and check-jsonschema (a real subprocess, the tool editors' users reach for) agree on a corpus of valid
and invalid edits of the example connectors.

check-jsonschema validates patterns in the ECMA-262 dialect, as JSON Schema specifies and editors do; ours must
too (a `$` that also matches before a final newline let `secretRef: "name\\n"` through). The only differences
allowed are the checks a schema cannot express, listed by code in ONLY_OURS: where check-jsonschema passes a file,
every error we report must have one of those codes; where it fails one, we must report a reading or schema error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.check.codes import lookup
from compiler.validation import validate_paths

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "compiler/schema/connector.schema.json"
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))

ONLY_OURS = {
    "GS058": "NaN and infinity (`.nan`, `.inf`) are YAML numbers but not JSON ones; every range check passes NaN",
    "GS101": "metadata.name must equal the file name",
    "GS103": "a well-formed cron expression that is not valid, or never fires",
    "GS105": "incremental extraction with auto_delete_missing deletes live data",
    "GS106": "the SQL does not parse",
    "GS107": "the SQL is not one read-only SELECT",
    "GS108": "a mapped field is not selected by the query",
    "GS110": "a template does not parse",
    "GS111": "a template names an unknown field",
    "GS115": "a header carries credentials",
}

HR = (ROOT / "connectors/hr-employees.yaml").read_text(encoding="utf-8")
KB = (ROOT / "connectors/kb-rest.yaml").read_text(encoding="utf-8")
PUSH = (ROOT / "connectors/support-push.yaml").read_text(encoding="utf-8")
BASES = {"hr-employees": HR, "kb-rest": KB, "support-push": PUSH}

# (case, base, old, new): each becomes <case>/<base>.yaml, so that the file-name rule holds unless a case breaks it.
EDITS: list[tuple[str, str, str, str]] = [
    ("valid-hr", "hr-employees", "", ""),
    ("valid-kb", "kb-rest", "", ""),
    ("valid-push", "support-push", "", ""),
    # the regex dialect
    ("newline-in-secret", "hr-employees", "secretRef: hr-db-credentials", 'secretRef: "hr-db-credentials\\n"'),
    ("folded-data-store", "hr-employees", "dataStoreId: hr-ds", "dataStoreId: >\n      hr-ds"),
    ("kept-folded-data-store", "hr-employees", "dataStoreId: hr-ds", "dataStoreId: >-\n      hr-ds"),
    ("bom-in-url", "kb-rest", "url: https://kb.example.com/api/articles", 'url: "https://kb.example.com/\\ufeffapi"'),
    ("fs-in-url", "kb-rest", "url: https://kb.example.com/api/articles", 'url: "https://kb.example.com/\\x1capi"'),
    ("nbsp-in-url", "kb-rest", "url: https://kb.example.com/api/articles", 'url: "https://kb.example.com/\\u00a0a"'),
    ("space-in-url", "kb-rest", "url: https://kb.example.com/api/articles", 'url: "https://kb.example.com/a b"'),
    ("newline-in-prefix", "hr-employees", "prefix: hr-employees", 'prefix: "hr-employees\\n"'),
    ("upper-case-name", "support-push", "name: support-push", "name: Support-Push"),
    ("unicode-digit-project", "hr-employees", "projectId: example-project", 'projectId: "١٢٣٤٥٦"'),
    # the schema
    ("unknown-field", "hr-employees", "    query: >", "    quey: >"),
    ("missing-field", "support-push", "    idField: ticket_id\n", ""),
    ("wrong-type", "hr-employees", "metadataFields: [department, role]", "metadataFields: department"),
    ("number-for-string", "hr-employees", "dataStoreId: hr-ds", "dataStoreId: 12345"),
    ("enum-case", "kb-rest", "location: eu", "location: EU"),
    ("field-of-another-mode", "support-push", "    secretRef: support-push-token", "    secretRef: s\n    query: x"),
    ("planned-provider", "hr-employees", "type: postgres", "type: bigquery"),
    ("bad-bucket", "hr-employees", "bucket: gs://example-sync-artifacts", "bucket: s3://bucket"),
    ("duplicate-key", "hr-employees", "    titleField: full_name", "    titleField: full_name\n    titleField: role"),
    ("null-field", "kb-rest", "    titleField: title", "    titleField:"),
    # YAML 1.2 core schema on both sides: `no` and `on` stay strings, so these are enum errors in both
    ("yaml11-boolean", "kb-rest", "method: GET", "method: on"),
    # only ours (the rules a schema cannot express)
    ("name-not-file", "hr-employees", "name: hr-employees", "name: hr-staff"),
    ("bad-cron", "hr-employees", 'schedule: "0 */3 * * *"', 'schedule: "0 0 30 2 *"'),
    ("incremental-auto-delete", "kb-rest", "deletePolicy: soft_delete_only", "deletePolicy: auto_delete_missing"),
    ("sql-not-select", "hr-employees", "    query: >\n", "    query: >\n      DELETE FROM x;\n"),
    ("sql-missing-column", "hr-employees", "titleField: full_name", "titleField: no_such_column"),
    ("template-syntax", "kb-rest", '"{{ title }}\\n\\n{{ body }}"', '"{{ title }"'),
    ("credential-header", "kb-rest", "      Accept: application/json", "      Authorization: Bearer abc"),
    ("nan", "kb-rest", "    method: GET", "    method: GET\n    timeoutSeconds: .nan"),
    ("template-unknown-field", "hr-employees", "{{ department }} {{ role }}", "{{ departmnt }} {{ role }}"),
    ("sql-unclosed", "hr-employees", "      FROM employees", "      FROM employees WHERE ("),
]


def _write_corpus(root: Path) -> dict[str, str]:
    files = {}
    for case, base, old, new in EDITS:
        text = BASES[base]
        if old:
            assert text.count(old) == 1, f"{case}: {old!r} must occur once in {base}.yaml"
            text = text.replace(old, new)
        path = root / case / f"{base}.yaml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        files[case] = path.relative_to(root).as_posix()
    return files


def _theirs(root: Path, files: dict[str, str]) -> set[str]:
    """The files check-jsonschema rejects (schema errors or a YAML it cannot parse)."""
    assert CHECK_JSONSCHEMA, "check-jsonschema is not installed (it is in the dev extra)"
    done = subprocess.run(
        [CHECK_JSONSCHEMA, "--schemafile", str(SCHEMA), "--output-format", "json", *files.values()],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    report = json.loads(done.stdout)
    return {e["filename"] for e in report.get("errors", [])} | {e["filename"] for e in report.get("parse_errors", [])}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bool, set[str]]]:
    """case -> (check-jsonschema rejects it, the codes of the errors we report)."""
    root = tmp_path_factory.mktemp("agreement")
    files = _write_corpus(root)
    rejected = _theirs(root, files)
    ours = {  # one case at a time: the cross-file rules (unique names) are not what is compared here
        case: {d.code for d in validate_paths([str(root / path)]).diagnostics if d.severity == "error"}
        for case, path in files.items()
    }
    return {case: (path in rejected, ours[case]) for case, path in files.items()}


@pytest.mark.parametrize("case", [case for case, *_ in EDITS])
def test_we_agree_with_check_jsonschema(verdicts: dict[str, tuple[bool, set[str]]], case: str) -> None:
    theirs_reject, our_codes = verdicts[case]
    schema_errors = {code for code in our_codes if lookup(code).structural}
    if theirs_reject:
        assert schema_errors, f"check-jsonschema rejects {case}; we report only {sorted(our_codes) or 'nothing'}"
    else:
        unexplained = our_codes - set(ONLY_OURS)
        assert not unexplained, f"check-jsonschema accepts {case}; we also report {sorted(unexplained)}"


def test_the_corpus_exercises_both_sides(verdicts: dict[str, tuple[bool, set[str]]]) -> None:
    """Every allowed difference occurs, and most cases are judged the same by both tools."""
    only_ours = {code for reject, codes in verdicts.values() if not reject for code in codes}
    assert only_ours == set(ONLY_OURS), f"allowed differences that the corpus never shows: {set(ONLY_OURS) - only_ours}"
    assert sum(reject for reject, _ in verdicts.values()) >= 15
    assert not any(verdicts[case][0] or verdicts[case][1] for case in ("valid-hr", "valid-kb", "valid-push"))
    for case in ("newline-in-secret", "folded-data-store", "bom-in-url", "newline-in-prefix"):
        assert verdicts[case][0], f"{case}: check-jsonschema should reject it (ECMA-262 `$` and `\\s`)"
        assert "GS054" in verdicts[case][1]
    assert verdicts["fs-in-url"] == (False, set()), "U+001C is not whitespace in ECMA-262"
