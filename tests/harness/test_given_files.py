"""file_pull cases: `given.files` written per run and read by the real file pull (rows, whole files, fixtures,
binary content, carried files, failures), and `--scaffold` starters that pass for each format."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.plan import FileSource
from runtime.harness.case import load_case
from runtime.harness.documents import BINARY_PREFIX
from runtime.harness.given import HarnessRun, prepare
from runtime.harness.given.files import MTIME_BASE, given_files, mtimes
from runtime.harness.runner import CaseResult, harness_plan, run_cases
from runtime.harness.scaffold import write_scaffold
from runtime.harness.update import write_updates
from runtime.run import ExecOptions, execute
from tests.runtime.files.filerepo import FileRepo, connector

PEOPLE = {"idField": "id", "titleField": "name", "contentTemplate": "{{ name }}", "metadataFields": ["file_path"]}
HEADER = "id,name\n"


def make_repo(root: Path, name: str, source: dict[str, Any], mapping: dict[str, Any], **options: Any) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "connectors").mkdir(exist_ok=True)
    if not str(source.get("path", "")).startswith(("gs://", "/")):
        (root / source["path"]).mkdir(parents=True, exist_ok=True)
    document = connector(name, source, mapping, out=root / "out", **options)
    (root / "connectors" / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return root


def run_text(root: Path, name: str, text: str, file: str = "case.yaml") -> CaseResult:
    path = root / "tests" / "connectors" / name / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    (result,) = run_cases([load_case(path)], root)
    return result


def problems(result: CaseResult) -> list[str]:
    return [result.error or ""] if result.error else [str(d) for r in result.runs for d in r.differences]


def test_csv_files_are_written_per_run_and_read_with_create_update_and_deletes(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "people", {"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE)
    result = run_text(
        root,
        "people",
        """\
        connector: people
        runs:
          - given:
              files:
                a.csv: "id,name\\n1,Ada\\n2,Grace\\n"
                b.csv: "id,name\\n3,Edgar\\n"
                notes.txt: "not matched by the glob"
            expect:
              upserted:
                - {id: '1', title: Ada, content: Ada, mimeType: text/plain, metadata: {file_path: data/a.csv}}
                - {id: '2', title: Grace, content: Grace, mimeType: text/plain, metadata: {file_path: data/a.csv}}
                - {id: '3', title: Edgar, content: Edgar, mimeType: text/plain, metadata: {file_path: data/b.csv}}
              deleted: []
          - given:
              files:
                a.csv: "id,name\\n1,Ada L.\\n"
            expect:
              fields: subset
              upserted: [{id: '1', title: Ada L.}]
              deleted: ['2', '3']
        """,
    )
    assert problems(result) == []
    assert [sorted(r.actual.upserted) for r in result.runs] == [["1", "2", "3"], ["1"]]
    assert result.runs[1].actual.deleted == ["2", "3"]


def test_a_wrong_expectation_fails_the_case(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "people", {"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE)
    result = run_text(
        root,
        "people",
        """\
        connector: people
        runs:
          - given: {files: {a.csv: "id,name\\n1,Ada\\n"}}
            expect: {fields: subset, upserted: [{id: '1', title: Grace}]}
        """,
    )
    assert not result.passed
    assert result.runs[0].actual.upserted["1"]["title"] == "Ada"


def test_an_unchanged_file_keeps_its_mtime_and_is_carried_not_read(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    plan = repo.connector("people", {"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE)
    assert isinstance(plan.source, FileSource)
    case_path = tmp_path / "tests" / "connectors" / "people" / "case.yaml"
    case_path.parent.mkdir(parents=True)
    case_path.write_text(
        textwrap.dedent(
            """\
            connector: people
            runs:
              - given: {files: {a.csv: "id,name\\n1,Ada\\n", b.csv: "id,name\\n2,Grace\\n"}}
                expect: {deleted: []}
              - given: {files: {a.csv: "id,name\\n1,Ada\\n", b.csv: "id,name\\n2,Grace H.\\n"}}
                expect: {deleted: []}
              - given: {files: {b.csv: "id,name\\n2,Grace H.\\n", a.csv: "id,name\\n1,Ada\\n"}}
                expect: {deleted: []}
            """
        ),
        encoding="utf-8",
    )
    case = load_case(case_path)
    hour = 3600 * 10**9
    base = int(MTIME_BASE.timestamp()) * 10**9
    given = [given_files(case, run, plan.source) for run in case.runs]
    assert [mtimes(given[: run.index + 1]) for run in case.runs] == [
        {"a.csv": base, "b.csv": base},
        {"a.csv": base, "b.csv": base + hour},
        {"b.csv": base + hour, "a.csv": base},
    ]
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    planned = harness_plan(plan, bucket)
    notes: list[list[str]] = []
    upserted: list[int] = []
    for run in case.runs:
        workdir = tmp_path / f"run-{run.index + 1}"
        workdir.mkdir()
        harness = HarnessRun(workdir=workdir, state_dir=tmp_path / "state", bucket=bucket, root=tmp_path)
        prepared = prepare(planned, case, run, harness)
        options = ExecOptions(state_dir=harness.state_dir, source_root=tmp_path)
        report = execute(prepared.plan, options, open_pull=prepared.open_pull, resolve_secret=lambda s: "x")
        notes.append([n for n in report.notes if "match" in n])
        assert report.changes is not None
        upserted.append(report.changes.new + report.changes.changed)
        assert (workdir / "a.csv").stat().st_mtime_ns == base
    assert "2 read, 0 unchanged" in notes[0][0]
    assert "1 read, 1 unchanged" in notes[1][0]
    assert "0 read, 2 unchanged" in notes[2][0]
    assert upserted == [2, 1, 0]


PDF = b"%PDF-1.4\n\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_fixture_files_are_copied_byte_for_byte_and_binary_content_is_shown_as_base64(tmp_path: Path) -> None:
    import base64

    root = make_repo(
        tmp_path,
        "manuals",
        {"path": "gs://example-bucket/handbook", "glob": "*.pdf", "documentMode": "file"},
        {"idField": "file_name", "titleField": "file_name", "metadataFields": ["file_path", "file_size_bytes"]},
    )
    folder = root / "tests" / "connectors" / "manuals"
    folder.mkdir(parents=True)
    (folder / "guide.pdf").write_bytes(PDF)
    result = run_text(
        root,
        "manuals",
        """\
        connector: manuals
        runs:
          - given: {files: {guide.pdf: {file: guide.pdf}, notes.txt: "not a pdf"}}
            expect: {upserted: []}
        """,
    )
    (run,) = result.runs
    (document,) = run.actual.upserted.values()  # an id with `.` is a readable prefix plus a hash
    assert document["content"] == BINARY_PREFIX + base64.b64encode(PDF).decode()
    assert document["mimeType"] == "application/pdf"
    # a gs:// folder is served from the run's local folder, its files named as the bucket's objects
    assert document["metadata"] == {"file_path": "gs://example-bucket/handbook/guide.pdf", "file_size_bytes": len(PDF)}


def test_parquet_fixture_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = make_repo(tmp_path, "people", {"path": "data", "glob": "*.parquet", "format": "parquet"}, PEOPLE)
    folder = root / "tests" / "connectors" / "people"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"id": [7, 8], "name": ["Ada", "Grace"]}), folder / "rows.parquet")
    result = run_text(
        root,
        "people",
        """\
        connector: people
        runs:
          - given: {files: {people.parquet: {file: rows.parquet}}}
            expect: {fields: subset, upserted: [{id: '7', title: Ada}, {id: '8', title: Grace}]}
        """,
    )
    assert problems(result) == []


def test_given_fail_fails_the_run_after_its_files_were_read_and_deletes_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "people", {"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE)
    result = run_text(
        root,
        "people",
        """\
        connector: people
        runs:
          - given: {files: {a.csv: "id,name\\n1,Ada\\n", b.csv: "id,name\\n2,Grace\\n"}}
            expect: {fields: subset, upserted: [{id: '1'}, {id: '2'}]}
          - given: {files: {a.csv: "id,name\\n1,Ada\\n"}, fail: share unmounted}
            expect: {failure: share unmounted}
          - given: {files: {a.csv: "id,name\\n1,Ada\\n", b.csv: "id,name\\n2,Grace\\n"}}
            expect: {upserted: [], deleted: []}
        """,
    )
    assert problems(result) == []
    assert (
        result.runs[1].actual.failure
        == "the source failed after the given files were read (given.fail): share unmounted"
    )


def test_a_malformed_file_fails_with_the_readers_own_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "people", {"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE)
    result = run_text(
        root,
        "people",
        """\
        connector: people
        runs:
          - given: {files: {a.csv: "id,name\\n1,\\"Ada\\n"}}
            expect: {failure: "file data/a.csv, line 2: Value with unterminated quote found"}
        """,
    )
    assert problems(result) == []


def test_text_is_written_in_the_connectors_csv_encoding(tmp_path: Path) -> None:
    source = {"path": "data", "glob": "*.csv", "format": "csv", "csv": {"encoding": "latin-1"}}
    root = make_repo(tmp_path, "people", source, PEOPLE)
    result = run_text(
        root,
        "people",
        """\
        connector: people
        runs:
          - given: {files: {a.csv: "id,name\\n1,José\\n"}}
            expect: {fields: subset, upserted: [{id: '1', title: José}]}
        """,
    )
    assert problems(result) == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ('{"../a.csv": "id\\n"}', "must be a plain relative path"),
        ('{"/tmp/a.csv": "id\\n"}', "must be a plain relative path"),
        ("{a.csv: {file: missing.csv}}", "cannot read fixture"),
        ("{a.csv: 5}", "give the file's text (a string) or {file: fixture}"),
    ],
)
def test_invalid_files_are_reported_with_the_case_and_run(tmp_path: Path, files: str, message: str) -> None:
    root = make_repo(tmp_path, "people", {"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE)
    result = run_text(
        root, "people", f"connector: people\nruns:\n  - given: {{files: {files}}}\n    expect: {{deleted: []}}\n"
    )
    assert result.error is not None
    assert "case.yaml: run 1: `given.files`" in result.error
    assert message in result.error


@pytest.mark.parametrize(
    ("source", "mapping"),
    [
        ({"path": "data", "glob": "*.csv", "format": "csv"}, PEOPLE),
        ({"path": "data", "glob": "people-*.txt", "format": "csv", "csv": {"delimiter": ";"}}, PEOPLE),
        (
            {"path": "data", "glob": "*", "format": "csv", "csv": {"hasHeader": False}},
            {"idField": "column_1", "titleField": "column_2"},
        ),
        ({"path": "data", "glob": "*.ndjson", "format": "ndjson"}, PEOPLE),
        ({"path": "data", "glob": "*.parquet", "format": "parquet"}, PEOPLE),
        ({"path": "data", "glob": "*", "documentMode": "file"}, {"idField": "file_path", "titleField": "file_name"}),
        ({"path": "data", "glob": "*.md", "documentMode": "file"}, {"idField": "file_name", "titleField": "file_name"}),
    ],
)
def test_scaffold_writes_a_starter_in_the_plans_format_that_passes(
    tmp_path: Path, source: dict[str, Any], mapping: dict[str, Any]
) -> None:
    repo = FileRepo(tmp_path)
    plan = repo.connector("people", source, mapping)
    path = write_scaffold(plan, tmp_path)
    written = path.read_text(encoding="utf-8")
    make_repo(tmp_path, "people", source, mapping)  # the connector file `compiler build` compiles
    (first,) = run_cases([load_case(path)], tmp_path)
    assert first.error is None, first.error
    write_updates(first)
    (second,) = run_cases([load_case(path)], tmp_path)
    assert problems(second) == []
    runs = second.runs
    assert len(runs[0].actual.upserted) == 2  # two records, then the first edited and the second gone
    assert len(runs[1].actual.upserted) == 1
    assert len(runs[1].actual.deleted) == 1
    if source.get("format") == "parquet":
        assert "{file: starter-run1.parquet}" in written
        assert (path.parent / "starter-run1.parquet").read_bytes().startswith(b"PAR1")
    if source.get("format") == "ndjson":
        assert '{"id": 1, "name": "name 1"}' in written
