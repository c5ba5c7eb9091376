"""`compiler validate --fix` and `--diff`: only certain fixes, each listed; comments, key order, quoting and flow
style survive (ruamel.yaml's round trip); a second run changes nothing; exit 1 while unfixable problems remain."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main
from compiler.fix import fix_text

REPO = Path(__file__).resolve().parents[2]
HR = (REPO / "connectors" / "hr-employees.yaml").read_text(encoding="utf-8")
BROKEN = (
    HR.replace("  source:\n", "  soruce:  # where the rows come from\n")
    .replace("type: postgres", "type: POSTGRES")
    .replace("dataStoreId: hr-ds", "dataStoreId: 12345")
    .replace("secretRef: hr-db-credentials", "secretRef: 'hr-db-credentials\n\n      '")
    .replace("metadataFields: [department, role]", "metadataFields: [department, role]  # flow style")
    .replace("location: global", "location: Global")
)
FIXED = (
    HR.replace("  source:\n", "  source:  # where the rows come from\n")
    .replace("dataStoreId: hr-ds", 'dataStoreId: "12345"')
    .replace("secretRef: hr-db-credentials", "secretRef: 'hr-db-credentials'")
    .replace("metadataFields: [department, role]", "metadataFields: [department, role]  # flow style")
)


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GEMINI_SYNC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "connectors").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_applies_certain_fixes_and_keeps_everything_else(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = work / "connectors/hr-employees.yaml"
    target.write_text(BROKEN, encoding="utf-8")
    assert main(["validate", "--fix"]) == 0
    out, err = capsys.readouterr()
    assert target.read_text(encoding="utf-8") == FIXED
    assert out == "1 file checked: no problems\n"
    listed = [line for line in err.splitlines() if line.startswith("fixed ")]
    assert listed == [
        "fixed connectors/hr-employees.yaml:10:3: GS050: rename 'soruce' to 'source'",
        "fixed connectors/hr-employees.yaml:34:15: GS053: change 'Global' to 'global'",
        "fixed connectors/hr-employees.yaml:35:18: GS052: quote the value so that it is a string",
        "fixed connectors/hr-employees.yaml:11:11: GS053: change 'POSTGRES' to 'postgres'",
        "fixed connectors/hr-employees.yaml:12:16: GS054: remove the whitespace around 'hr-db-credentials'",
    ]
    assert err.endswith("5 fixes applied in 1 file(s)\n")

    assert main(["validate", "--fix"]) == 0  # a second run changes nothing
    assert capsys.readouterr().err == "0 fixes applied in 0 file(s)\n"
    assert target.read_text(encoding="utf-8") == FIXED


def test_diff_prints_the_fixes_and_writes_nothing(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = work / "connectors/hr-employees.yaml"
    target.write_text(BROKEN.replace("type: POSTGRES", "type: postgres"), encoding="utf-8")
    assert main(["validate", "--diff"]) == 1
    out, err = capsys.readouterr()
    assert target.read_text(encoding="utf-8") == BROKEN.replace("type: POSTGRES", "type: postgres")
    assert out.startswith("--- a/connectors/hr-employees.yaml\n+++ b/connectors/hr-employees.yaml\n")
    assert "-  soruce:  # where the rows come from\n+  source:  # where the rows come from\n" in out
    assert "\n-    dataStoreId: 12345\n" in out
    assert '\n+    dataStoreId: "12345"\n' in out
    assert "would fix connectors/hr-employees.yaml:10:3: GS050" in err
    target.write_text(HR, encoding="utf-8")
    assert main(["validate", "--diff"]) == 0
    assert capsys.readouterr().out == ""


def test_fix_exits_1_while_unfixable_problems_remain(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = work / "connectors/hr-employees.yaml"
    # Fixable: the enum's case. Not: an unknown field with no close match, and a query that selects no bio.
    target.write_text(
        HR.replace("location: global", "location: GLOBAL").replace("    titleField: full_name", "    zzz: 1"),
        encoding="utf-8",
    )
    assert main(["validate", "--fix"]) == 1
    out, _ = capsys.readouterr()
    assert "location: global" in target.read_text(encoding="utf-8")
    assert "error[GS050] unknown field 'zzz'" in out
    assert "GS053" not in out


def test_a_guess_is_not_a_fix() -> None:
    """Two close matches, a taken name, or an enum value that is merely similar: reported, never rewritten."""
    ambiguous = HR.replace(
        "    idField: employee_id", "    idField: employee_id\n    aclField: x"
    )  # aclUsers/aclGroups
    taken = HR.replace("    titleField: full_name", "    titleField: full_name\n    titlefield: full_name")
    similar = HR.replace("deletePolicy: auto_delete_missing", "deletePolicy: auto_delete")
    for text in (ambiguous, taken, similar):
        outcome = fix_text(text, "hr-employees.yaml")
        assert outcome.applied == ()
        assert outcome.text == text


def test_a_file_whose_layout_ruamel_cannot_reproduce_is_left_alone(work: Path) -> None:
    mixed = (
        HR.replace("  output:\n    bucket:", "  output:\n      bucket:")
        .replace("    prefix: hr-employees", "      prefix: hr-employees")
        .replace("    format: ndjson", "      format: ndjson")
        .replace("location: global", "location: GLOBAL")
    )
    outcome = fix_text(mixed, "hr-employees.yaml")
    assert outcome.text == mixed
    assert outcome.applied == ()
    assert outcome.refused is not None
    assert "would change its layout" in outcome.refused


def test_fix_keeps_a_byte_order_mark_crlf_and_the_second_document(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = HR.split("---\n", 1)[1].replace("name: hr-employees", "name: hr-other")
    text = (HR + "---\n" + second.replace("location: global", "location: GLOBAL")).replace("\n", "\r\n")
    target = work / "connectors/both.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    main(["validate", "--fix"])
    capsys.readouterr()
    assert target.read_bytes() == b"\xef\xbb\xbf" + text.replace("location: GLOBAL", "location: global").encode()
