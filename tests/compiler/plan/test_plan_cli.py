"""`compiler build`, `show` and `diff` end to end: exit codes, output, and nothing written on invalid input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compiler.cli import main
from compiler.plan import loads

ROOT = Path(__file__).parents[3]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder (not a git work tree, so it is the source root) holding the three examples."""
    shutil.copytree(ROOT / "connectors", tmp_path / "connectors")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_build_writes_one_plan_per_connector(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "connectors", "--out", "plans"]) == 0
    names = sorted(p.name for p in (workdir / "plans").iterdir())
    assert names == ["hr-employees.plan.json", "hr-file-csv.plan.json", "kb-rest.plan.json", "support-push.plan.json"]
    assert "wrote plans/kb-rest.plan.json" in capsys.readouterr().err
    plan = loads((workdir / "plans" / "kb-rest.plan.json").read_bytes())
    assert plan.inputs[0].path == "connectors/kb-rest.yaml"


def test_rebuild_leaves_unchanged_files_alone(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0  # default path: connectors/
    before = (workdir / "plans" / "hr-employees.plan.json").read_bytes()
    capsys.readouterr()
    assert main(["build", "--out", "plans"]) == 0
    assert "compiled 4 connector(s) into plans: 0 written, 4 unchanged" in capsys.readouterr().err
    assert (workdir / "plans" / "hr-employees.plan.json").read_bytes() == before


def test_invalid_connector_fails_and_writes_nothing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(workdir / "connectors" / "kb-rest.yaml", "    url:", "    ur1:")
    assert main(["build", "connectors", "--out", "plans"]) == 1
    captured = capsys.readouterr()
    assert "connectors/kb-rest.yaml:" in captured.out
    assert "error[GS" in captured.out
    assert "nothing written" in captured.err
    assert not (workdir / "plans").exists()


def test_invalid_connector_keeps_existing_plans_untouched(workdir: Path) -> None:
    assert main(["build", "--out", "plans"]) == 0
    before = {p.name: p.read_bytes() for p in (workdir / "plans").iterdir()}
    _edit(workdir / "connectors" / "hr-employees.yaml", "location: global", "location: mars")
    _edit(workdir / "connectors" / "kb-rest.yaml", "location: eu", "location: us")
    assert main(["build", "--out", "plans"]) == 1
    assert {p.name: p.read_bytes() for p in (workdir / "plans").iterdir()} == before


def test_missing_path_is_a_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "nowhere", "--out", "plans"]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert not (workdir / "plans").exists()


def test_out_is_required(workdir: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["build", "connectors"])
    assert caught.value.code == 2


def test_warnings_pass_unless_strict(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hr = workdir / "connectors" / "hr-employees.yaml"
    _edit(
        hr,
        "SELECT employee_id, full_name, department, role, bio,\n      allowed_users, allowed_groups, updated_at",
        "SELECT *",
    )
    assert main(["build", str(hr), "--out", "strict", "--strict"]) == 1
    assert "GS109" in capsys.readouterr().out
    assert not (workdir / "strict").exists()
    assert main(["build", str(hr), "--out", "plans"]) == 0
    assert loads((workdir / "plans" / "hr-employees.plan.json").read_bytes()).source.kind == "sql"


def test_unlowerable_watermark_is_a_located_finding_and_writes_nothing(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hr = workdir / "connectors" / "hr-employees.yaml"
    _edit(hr, "      FROM employees\n", "      FROM employees WHERE updated_at = :watermark\n")
    _edit(hr, "deletePolicy: auto_delete_missing", "deletePolicy: never_delete")
    assert main(["build", "connectors", "--out", "plans"]) == 1
    out = capsys.readouterr().out
    assert "connectors/hr-employees.yaml:13:12: error[GS114]" in out
    assert "is not a lower bound on :watermark" in out
    assert not (workdir / "plans").exists()


def test_json_format_prints_the_linter_report(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "connectors", "--out", "plans", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["diagnostics"] == []


def test_root_option_sets_the_relative_base(workdir: Path) -> None:
    assert main(["build", "connectors/kb-rest.yaml", "--out", "plans", "--root", "connectors"]) == 0
    assert loads((workdir / "plans" / "kb-rest.plan.json").read_bytes()).inputs[0].path == "kb-rest.yaml"


def test_input_outside_the_root_is_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "sub").mkdir()
    assert main(["build", "connectors/kb-rest.yaml", "--out", "plans", "--root", "sub"]) == 1
    assert "outside the source root" in capsys.readouterr().err
    assert not (workdir / "plans").exists()


def test_unwritable_out_is_an_io_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "plans").write_text("a file, not a folder")
    assert main(["build", "connectors", "--out", "plans"]) == 2
    assert "cannot write plans" in capsys.readouterr().err


# --- show --------------------------------------------------------------------------------------------------


def test_show_summarises(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0
    capsys.readouterr()
    assert main(["show", "plans/hr-employees.plan.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hr-employees  (sql_pull, schedule '0 */3 * * *')\n")
    assert "postgres via postgresql+psycopg" in out
    assert "snapshot: the query has no :watermark filter" in out
    assert "auto_delete_missing: documents missing from a complete snapshot are deleted" in out
    assert "at most 20 % and 10000 documents per run, unless fewer than 100 are known" in out
    assert "on discoveryengine.googleapis.com" in out
    assert "hr-db-credentials (from $SECRET_HR_DB_CREDENTIALS)" in out


def test_show_http_and_push(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0
    capsys.readouterr()
    assert main(["show", "plans/kb-rest.plan.json"]) == 0
    out = capsys.readouterr().out
    assert "GET https://kb.example.com/api/articles" in out
    assert "pagination cursor ?cursor= from paging.next_cursor, at most 10000 pages" in out
    assert "retry 5 attempts on 429, 500, 502, 503, 504" in out
    assert main(["show", "plans/support-push.plan.json"]) == 0
    assert "records pushed with bearer token support-push-token" in capsys.readouterr().out


def test_show_files(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0
    capsys.readouterr()
    assert main(["show", "plans/hr-file-csv.plan.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hr-file-csv  (file_pull, schedule '15 * * * *')\n")
    assert "files '*.csv' in examples/hr-files (under the source root)" in out
    assert "csv via DuckDB, one document per row" in out
    assert "csv delimiter ',', header, utf-8, headers normalised, #ERROR cells emptied" in out
    assert "snapshot: every run lists the folder, so the set of matching files is complete" in out


def test_show_refuses_a_tampered_plan(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0
    plan = workdir / "plans" / "hr-employees.plan.json"
    _edit(plan, '"maxDeleteCount": 10000', '"maxDeleteCount": 99999999')
    capsys.readouterr()
    assert main(["show", str(plan)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "hash does not match its content" in err


def test_show_missing_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "nope.plan.json"]) == 2
    assert "cannot read the plan" in capsys.readouterr().err


# --- diff --------------------------------------------------------------------------------------------------


def test_diff_of_identical_plans(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0
    capsys.readouterr()
    plan = "plans/kb-rest.plan.json"
    assert main(["diff", plan, plan, "--exit-code"]) == 0
    assert capsys.readouterr().out.endswith("no changes\n")


def test_diff_shows_changes_risky_first(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "old"]) == 0
    kb = workdir / "connectors" / "kb-rest.yaml"
    _edit(kb, "    watermarkParam: updated_since\n", "")
    _edit(kb, "deletePolicy: soft_delete_only", "deletePolicy: auto_delete_missing")
    _edit(kb, "metadataFields: [category, author]", "metadataFields: [category]")
    assert main(["build", "--out", "new"]) == 0
    capsys.readouterr()
    assert main(["diff", "old/kb-rest.plan.json", "new/kb-rest.plan.json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("--- old/kb-rest.plan.json  (kb-rest, sha256:")
    assert lines[1].startswith("+++ new/kb-rest.plan.json  (kb-rest, sha256:")
    body = lines[2:-1]
    assert '! ~ /extraction/kind: "incremental" -> "snapshot"' in body
    assert '! ~ /reconciliation/deletePolicy: "soft_delete_only" -> "auto_delete_missing"' in body
    assert '  ~ /mapping/metadataFields: ["category", "author"] -> ["category"]' in body
    flagged = [i for i, line in enumerate(body) if line.startswith("!")]
    plain = [i for i, line in enumerate(body) if line.startswith("  ~")]
    assert max(flagged) < min(plain)
    assert "flagged '!'" in lines[-1]
    assert main(["diff", "old/kb-rest.plan.json", "new/kb-rest.plan.json", "--exit-code"]) == 1


def test_diff_flags_a_moved_folder_or_glob(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "old"]) == 0
    hr = workdir / "connectors" / "hr-file-csv.yaml"
    _edit(hr, "    path: examples/hr-files", "    path: ./examples/../exports/hr")
    _edit(hr, '    glob: "*.csv"', '    glob: "employees-*.csv"')
    assert main(["build", "--out", "new"]) == 0
    capsys.readouterr()
    assert main(["diff", "old/hr-file-csv.plan.json", "new/hr-file-csv.plan.json"]) == 0
    body = capsys.readouterr().out.splitlines()
    assert '! ~ /source/folder: "examples/hr-files" -> "exports/hr"' in body
    assert '! ~ /source/glob: "*.csv" -> "employees-*.csv"' in body


def test_diff_refuses_a_tampered_plan(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", "plans"]) == 0
    plan = workdir / "plans" / "kb-rest.plan.json"
    _edit(plan, '"formatVersion": 1', '"formatVersion": 9')
    capsys.readouterr()
    assert main(["diff", str(plan), str(plan)]) == 2
    assert "unsupported plan formatVersion 9" in capsys.readouterr().err


# --- source root and stale plans ---------------------------------------------------------------------------------


def test_a_file_outside_any_work_tree_and_the_current_directory_is_rooted_at_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "connectors", elsewhere)
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main(["build", str(elsewhere / "kb-rest.yaml"), "--out", "plans"]) == 0, capsys.readouterr().err
    assert loads((tmp_path / "here/plans/kb-rest.plan.json").read_bytes()).inputs[0].path == "kb-rest.yaml"


def test_build_removes_plans_of_connectors_that_no_longer_exist(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "connectors", "--out", "plans"]) == 0
    (workdir / "plans/notes.plan.json").write_text("not a plan of ours")  # never touched
    (workdir / "connectors/support-push.yaml").unlink()
    _edit(workdir / "connectors/kb-rest.yaml", "name: kb-rest", "name: kb-articles")
    (workdir / "connectors/kb-rest.yaml").rename(workdir / "connectors/kb-articles.yaml")
    capsys.readouterr()
    assert main(["build", "connectors", "--out", "plans"]) == 0
    err = capsys.readouterr().err
    assert sorted(p.name for p in (workdir / "plans").iterdir()) == [
        "hr-employees.plan.json",
        "hr-file-csv.plan.json",
        "kb-articles.plan.json",
        "notes.plan.json",
    ]
    assert "removed plans/kb-rest.plan.json: connectors/kb-rest.yaml no longer exists" in err
    assert "removed plans/support-push.plan.json: connectors/support-push.yaml no longer exists" in err
    assert err.endswith("compiled 3 connector(s) into plans: 1 written, 2 unchanged, 2 removed\n")


def test_build_removes_a_plan_whose_file_now_defines_another_connector(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "connectors", "--out", "plans"]) == 0
    _edit(workdir / "connectors/kb-rest.yaml", "name: kb-rest", "name: kb-two")
    _edit(workdir / "connectors/kb-rest.yaml", "deletePolicy: soft_delete_only", "deletePolicy: never_delete")
    capsys.readouterr()
    # GS101 (name differs from the file) is turned off for this repository.
    (workdir / ".gemini-sync.yaml").write_text("severity: {GS101: off}\n")
    assert main(["build", "connectors", "--out", "plans"]) == 0
    err = capsys.readouterr().err
    assert "removed plans/kb-rest.plan.json: connector 'kb-rest' is no longer in connectors/kb-rest.yaml" in err
    assert (workdir / "plans/kb-two.plan.json").is_file()


def test_building_one_file_leaves_the_plans_of_the_others(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "connectors", "--out", "plans"]) == 0
    assert main(["build", "connectors/kb-rest.yaml", "--out", "plans"]) == 0
    assert len(list((workdir / "plans").iterdir())) == 4
    assert "removed" not in capsys.readouterr().err
