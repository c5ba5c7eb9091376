"""file_pull end to end through the real engine (`runtime.run.execute`): snapshots, deletes, the delete guard,
unchanged files carried without being read again, and failures that change nothing."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
import xxhash

from compiler.plan import Plan, document_id
from runtime.errors import ConfigError, DeleteGuardTripped, MappingError, SourceError
from runtime.ingest import DeliveryRequest, DeliveryResult, FailedDocument
from runtime.sources import PullContext, open_pull
from runtime.sources.base import ScansInPlace
from runtime.sources.files import csv_reader
from runtime.sources.files.pull import FilePull
from tests.runtime.files.filerepo import FileRepo, text_content

SOURCE = {"path": "data/hr", "glob": "*.csv", "csv": {"normalizeHeaders": True}}
MAPPING = {"idField": "employee_id", "titleField": "full_name", "contentTemplate": "{{ full_name }} ({{ team }})"}
A_CSV = "Employee ID,Full Name,Team\n1,Ann,eng\n2,Bob,ops\n"
B_CSV = "Employee ID,Full Name,Team\n3,Cy,eng\n"


@pytest.fixture
def repo(tmp_path: Path) -> FileRepo:
    repo = FileRepo(tmp_path / "repo")
    repo.write("data/hr/a.csv", A_CSV)
    repo.write("data/hr/b.csv", B_CSV)
    return repo


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose CSV is parsed (each parse starts with its first record)."""
    seen: list[str] = []
    original = csv_reader.first_record

    def spy(con: Any, path: str, local: Path, csv: Any) -> Any:
        seen.append(path)
        return original(con, path, local, csv)

    monkeypatch.setattr(csv_reader, "first_record", spy)
    return seen


def hr(repo: FileRepo, **options: Any) -> Plan:
    return repo.connector("hr-files", SOURCE, MAPPING, **options)


def test_first_sync_maps_every_row_of_every_file(repo: FileRepo) -> None:
    plan = hr(repo)
    report = repo.run(plan)
    docs = repo.upserts(plan, report)
    assert sorted(docs) == ["1", "2", "3"]
    assert text_content(docs["2"]) == "Bob (ops)"
    assert docs["3"]["structData"]["title"] == "Cy"
    assert report.changes is not None
    assert report.changes.new == 3
    assert set(repo.catalogue(plan)) == {"data/hr/a.csv", "data/hr/b.csv"}


def test_a_deleted_file_turns_its_documents_into_deletes(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    (repo.root / "data/hr/a.csv").unlink()
    report = repo.run(plan)
    assert repo.deletes(plan, report) == {"1", "2"}
    assert repo.upserts(plan, report) == {}
    assert set(repo.state_ids(plan)) == {"3"}
    assert set(repo.catalogue(plan)) == {"data/hr/b.csv"}


def test_under_soft_delete_only_a_deleted_file_marks_its_documents(repo: FileRepo) -> None:
    plan = hr(repo, policy="soft_delete_only")
    repo.run(plan)
    (repo.root / "data/hr/b.csv").unlink()
    report = repo.run(plan)
    assert repo.state_ids(plan) == {"1": False, "2": False, "3": True}
    assert repo.upserts(plan, report)["3"]["structData"]["sync_deleted"] is True


def test_an_unchanged_folder_is_re_synced_without_reading_any_file(repo: FileRepo, reads: list[str]) -> None:
    plan = hr(repo)
    repo.run(plan)
    assert sorted(reads) == ["data/hr/a.csv", "data/hr/b.csv"]
    reads.clear()
    report = repo.run(plan)
    assert reads == []
    assert report.changes is not None
    assert (report.changes.new, report.changes.changed, report.changes.unchanged, report.changes.deleted) == (
        0,
        0,
        3,
        0,
    )
    assert any("0 read, 2 unchanged" in note for note in report.notes)
    # ...and it is still a complete snapshot: a file removed now is noticed.
    (repo.root / "data/hr/b.csv").unlink()
    assert repo.deletes(plan, repo.run(plan)) == {"3"}
    assert reads == []


def test_the_catalogue_holds_the_content_hash_of_every_file_read_or_carried(repo: FileRepo) -> None:
    plan = hr(repo)

    def hashed(path: str) -> tuple[int, str]:
        data = (repo.root / path).read_bytes()
        return len(data), "xxh3-128:" + xxhash.xxh3_128_hexdigest(data)

    repo.run(plan)  # nothing known: the files are hashed while they are read
    assert repo.catalogue(plan) == {path: hashed(path) for path in ("data/hr/a.csv", "data/hr/b.csv")}
    repo.write("data/hr/b.csv", B_CSV + "4,Dee,ops\n")
    repo.run(plan)  # a.csv hashed first (it may be carried), b.csv while it is read
    assert repo.catalogue(plan) == {path: hashed(path) for path in ("data/hr/a.csv", "data/hr/b.csv")}


def test_only_the_changed_file_is_read_again(repo: FileRepo, reads: list[str]) -> None:
    plan = hr(repo)
    repo.run(plan)
    reads.clear()
    repo.write("data/hr/b.csv", B_CSV + "4,Dee,ops\n")
    report = repo.run(plan)
    assert reads == ["data/hr/b.csv"]
    assert sorted(repo.upserts(plan, report)) == ["4"]
    assert report.changes is not None
    assert report.changes.unchanged == 3


def test_same_size_and_time_but_other_bytes_is_read_again(repo: FileRepo, reads: list[str]) -> None:
    plan = hr(repo)
    repo.run(plan)
    path = repo.root / "data/hr/b.csv"
    stat = path.stat()
    path.write_text(B_CSV.replace("Cy", "Cz"))  # the same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    reads.clear()
    report = repo.run(plan)
    assert reads == ["data/hr/b.csv"]
    assert text_content(repo.upserts(plan, report)["3"]) == "Cz (eng)"


def test_a_changed_mapping_reads_every_file_again(repo: FileRepo, reads: list[str]) -> None:
    repo.run(hr(repo))
    reads.clear()
    changed = repo.connector("hr-files", SOURCE, {**MAPPING, "contentTemplate": "{{ full_name }}"})
    report = repo.run(changed)
    assert sorted(reads) == ["data/hr/a.csv", "data/hr/b.csv"]
    assert report.changes is not None
    assert report.changes.changed == 3


def test_no_matching_file_trips_the_delete_guard_and_changes_nothing(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    for name in ("a.csv", "b.csv"):
        (repo.root / "data/hr" / name).unlink()
    before = repo.snapshot()
    with pytest.raises(DeleteGuardTripped, match="returned no records"):
        repo.run(plan)
    assert repo.snapshot() == before
    report = repo.run(plan, allow_mass_delete=True)
    assert repo.deletes(plan, report) == {"1", "2", "3"}


def test_a_file_that_cannot_be_read_fails_the_run_and_changes_nothing(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    (repo.root / "data/hr/b.csv").unlink()  # would be a delete, if the run got that far
    repo.write("data/hr/c.csv", 'Employee ID,Full Name,Team\n5,"Eve,ops\n')
    before = repo.snapshot()
    with pytest.raises(SourceError, match=r"file data/hr/c.csv, line 2: Value with unterminated quote found"):
        repo.run(plan)
    assert repo.snapshot() == before
    assert set(repo.state_ids(plan)) == {"1", "2", "3"}


def test_a_missing_folder_fails_the_run_and_deletes_nothing(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    (repo.root / "data/hr").rename(repo.root / "data/hr-moved")
    before = repo.snapshot()
    with pytest.raises(SourceError, match=r"folder .*data/hr does not exist; .*nothing was deleted"):
        repo.run(plan)
    assert repo.snapshot() == before


def test_a_dry_run_does_not_commit_the_catalogue(repo: FileRepo, reads: list[str]) -> None:
    plan = hr(repo)
    report = repo.run(plan, dry_run=True)
    assert report.changes is not None
    assert report.changes.new == 3
    assert not (repo.root / "state" / "hr-files.duckdb").exists()
    reads.clear()
    repo.run(plan)
    assert sorted(reads) == ["data/hr/a.csv", "data/hr/b.csv"]


def test_a_relative_folder_needs_the_source_root(repo: FileRepo) -> None:
    with pytest.raises(ConfigError, match=r"reads the folder 'data/hr' relative to the connector's repository; pass"):
        repo.run(hr(repo), source_root=None)


def test_whole_documents_sync_with_stable_ids_from_their_paths(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path / "repo")
    repo.write("policies/leave.pdf", b"%PDF-1.4 leave")
    repo.write("policies/travel.html", "<p>travel</p>")
    plan = repo.connector(
        "policies", {"path": "policies", "documentMode": "file"}, {"idField": "file_path", "titleField": "file_name"}
    )
    first = repo.run(plan)
    docs = repo.upserts(plan, first)
    leave = document_id("policies/leave.pdf", plan.mapping.id)
    assert sorted(docs) == sorted([leave, document_id("policies/travel.html", plan.mapping.id)])
    assert docs[leave]["content"] == {
        "mimeType": "application/pdf",
        "rawBytes": base64.b64encode(b"%PDF-1.4 leave").decode(),
    }
    assert docs[leave]["structData"]["title"] == "leave.pdf"
    repo.write("policies/leave.pdf", b"%PDF-1.4 leave, revised")
    (repo.root / "policies/travel.html").unlink()
    second = repo.run(plan)
    assert sorted(repo.upserts(plan, second)) == [leave]
    assert repo.deletes(plan, second) == {document_id("policies/travel.html", plan.mapping.id)}


def test_a_renamed_file_keeps_its_documents_across_later_runs(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    (repo.root / "data/hr/a.csv").rename(repo.root / "data/hr/c.csv")
    moved = repo.run(plan)  # same rows, another part: nothing to delete, nothing to upsert
    assert repo.deletes(plan, moved) == set()
    assert moved.changes is not None
    assert moved.changes.unchanged == 3
    carried = repo.run(plan)  # now c.csv is carried: its documents must still count as seen
    assert repo.deletes(plan, carried) == set()
    assert set(repo.state_ids(plan)) == {"1", "2", "3"}


def test_the_same_id_in_two_files_fails_the_run_naming_it(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    repo.write("data/hr/c.csv", "Employee ID,Full Name,Team\n3,Cy again,eng\n")
    with pytest.raises(MappingError, match="3"):
        repo.run(plan)


def test_a_document_whose_delivery_failed_is_sent_again_though_its_file_is_unchanged(repo: FileRepo) -> None:
    plan = hr(repo)

    def refuse_ann(request: DeliveryRequest) -> DeliveryResult:
        return DeliveryResult(
            upserted=request.upserts_count - 1, deleted=0, failed=(FailedDocument("1", "upsert", "quota"),)
        )

    first = repo.run(plan, deliver=refuse_ann)
    assert sorted(repo.upserts(plan, first)) == ["1", "2", "3"]
    assert "data/hr/a.csv" not in repo.catalogue(plan)  # not carried next time: one of its documents is pending
    second = repo.run(plan)
    assert sorted(repo.upserts(plan, second)) == ["1"]
    assert set(repo.catalogue(plan)) == {"data/hr/a.csv", "data/hr/b.csv"}


def test_a_delete_that_failed_is_sent_again_though_its_file_is_unchanged(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    repo.write("data/hr/a.csv", "Employee ID,Full Name,Team\n1,Ann,eng\n")  # Bob (2) is gone from the file

    def refuse_bob(request: DeliveryRequest) -> DeliveryResult:
        return DeliveryResult(upserted=0, deleted=0, failed=(FailedDocument("2", "delete", "unavailable"),))

    removed = repo.run(plan, deliver=refuse_bob)
    assert repo.deletes(plan, removed) == {"2"}
    assert "2" in repo.state_ids(plan)  # still live: the next run must delete it again
    assert "data/hr/a.csv" not in repo.catalogue(plan)  # so a.csv is read again, not carried
    again = repo.run(plan)
    assert repo.deletes(plan, again) == {"2"}
    assert "2" not in repo.state_ids(plan)
    assert set(repo.catalogue(plan)) == {"data/hr/a.csv", "data/hr/b.csv"}


def test_under_never_delete_a_row_removed_from_a_file_stays_missing_when_the_file_is_carried(repo: FileRepo) -> None:
    plan = hr(repo, policy="never_delete")
    repo.run(plan)
    repo.write("data/hr/a.csv", "Employee ID,Full Name,Team\n1,Ann,eng\n")  # Bob (2) is gone from the file
    removed = repo.run(plan)
    assert removed.changes is not None
    assert removed.changes.missing_kept == 1
    carried = repo.run(plan)  # a.csv unchanged now: Bob must not count as seen again
    assert carried.changes is not None
    assert carried.changes.missing_kept == 1
    assert carried.changes.unchanged == 2


def test_csv_rows_are_staged_in_place_into_the_documents_batches_make(
    repo: FileRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = FileRepo(tmp_path / "batches")  # the same files, read as batches
    for name in ("a.csv", "b.csv"):
        other.write(f"data/hr/{name}", (repo.root / "data/hr" / name).read_bytes())
    other_plan = hr(other)
    with monkeypatch.context() as patch:
        patch.setattr(FilePull, "scan", lambda self: None)
        from_batches = other.run(other_plan)
    plan = hr(repo)
    with monkeypatch.context() as patch:
        patch.setattr(FilePull, "batches", lambda self: pytest.fail("CSV rows are staged in place"))
        in_place = repo.run(plan)
    assert repo.upserts(plan, in_place) == other.upserts(other_plan, from_batches)
    assert len(repo.upserts(plan, in_place)) == 3
    assert in_place.to_json()["counts"] == from_batches.to_json()["counts"]
    assert set(repo.catalogue(plan)) == {"data/hr/a.csv", "data/hr/b.csv"}


def test_a_scan_part_s_probe_reads_the_rows_and_columns_of_its_query(repo: FileRepo) -> None:
    """Staging samples a part's first rows through its probe (a small read buffer): it must be the same rows."""
    repo.write("data/hr/c.csv", "Team,Employee ID,Full Name\nops,4,Di\n")  # another header: a second part
    con = duckdb.connect()
    context = PullContext(
        plan=hr(repo), secrets={}, checkpoint=None, state=con, has_state=False, dry_run=False,
        source_root=repo.root, notes=[],
    )  # fmt: skip
    pull = open_pull(context)
    try:
        assert isinstance(pull, ScansInPlace)
        scan = pull.scan()
        assert scan is not None
        assert len(scan.parts) == 2
        for part in scan.parts:
            assert part.probe is not None
            assert "buffer_size" in part.probe
            assert "buffer_size" not in part.sql
            full = con.sql(part.sql, params=list(part.params)).to_arrow_table()
            probe = con.sql(part.probe, params=list(part.params)).to_arrow_table()
            assert probe.schema == full.schema
            assert sorted(map(str, probe.to_pylist())) == sorted(map(str, full.to_pylist()))
            assert full.num_rows in (1, 3)
    finally:
        pull.close()


def test_an_empty_id_in_a_csv_file_fails_the_run_naming_the_file(repo: FileRepo) -> None:
    repo.write("data/hr/b.csv", "Employee ID,Full Name,Team\n3,Cy,eng\n,Nobody,ops\n")
    before = repo.snapshot()
    with pytest.raises(MappingError, match=r"a record of data/hr/b.csv has an empty or NULL id"):
        repo.run(hr(repo))
    assert repo.snapshot() == before


def test_an_empty_id_deep_in_a_large_file_names_the_file(repo: FileRepo) -> None:
    rows = "".join(f"{i},Person {i},eng\n" for i in range(4, 60_000))  # past the first result batches
    repo.write("data/hr/b.csv", "Employee ID,Full Name,Team\n" + rows + ",Nobody,ops\n")
    with pytest.raises(MappingError, match=r"a record of data/hr/b.csv has an empty or NULL id"):
        repo.run(hr(repo))


def test_header_only_files_are_an_empty_snapshot_the_delete_guard_stops(repo: FileRepo) -> None:
    plan = hr(repo)
    repo.run(plan)
    for name in ("a.csv", "b.csv"):
        repo.write(f"data/hr/{name}", "Employee ID,Full Name,Team\n")
    before = repo.snapshot()
    with pytest.raises(DeleteGuardTripped, match="returned no records"):
        repo.run(plan)
    assert repo.snapshot() == before


def test_a_jinja_template_reads_the_rows_through_python(repo: FileRepo) -> None:
    mapping = {
        **MAPPING,
        "contentTemplate": "{% if team == 'eng' %}{{ full_name }} builds{% else %}{{ full_name }}{% endif %}",
    }
    plan = repo.connector("hr-jinja", SOURCE, mapping)
    assert plan.mapping.content is not None
    assert plan.mapping.content.kind == "jinja"
    docs = repo.upserts(plan, repo.run(plan))
    assert {doc_id: text_content(doc) for doc_id, doc in docs.items()} == {
        "1": "Ann builds",
        "2": "Bob",
        "3": "Cy builds",
    }
