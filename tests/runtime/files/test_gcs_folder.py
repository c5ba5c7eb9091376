"""file_pull from a `gs://bucket/prefix` folder, end to end through the real engine (`runtime.run.execute`), with
the official google-cloud-storage client against `gcp-storage-emulator` (tests/conftest.py: `gcs_bucket`)."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage import Blob

from compiler.plan import FileSource, Plan, document_id
from runtime.errors import SourceError
from runtime.sources.files.folder import FileEntry
from runtime.sources.files.gcs import GcsFolder
from tests.runtime.files.filerepo import FileRepo, text_content

MAPPING = {"idField": "employee_id", "titleField": "full_name", "contentTemplate": "{{ full_name }} ({{ team }})"}
A_CSV = "Employee ID,Full Name,Team\n1,Ann,eng\n2,Bob,ops\n"
B_CSV = "Employee ID,Full Name,Team\n3,Cy,eng\n"
PDF = b"%PDF-1.4\n" + b"x" * 1_000_000 + b"\n%%EOF\n"  # over the 1,000,000-byte inline limit


@pytest.fixture
def bucket(gcs_bucket: str) -> Any:
    return storage.Client(project="test", credentials=AnonymousCredentials()).bucket(gcs_bucket)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The objects downloaded (every download of the client goes through `_prep_and_do_download`)."""
    seen: list[str] = []
    original = Blob._prep_and_do_download

    def spy(self: Blob, *args: Any, **kwargs: Any) -> Any:
        seen.append(f"gs://{self.bucket.name}/{self.name}")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Blob, "_prep_and_do_download", spy)
    return seen


def put(bucket: Any, name: str, data: bytes | str) -> None:
    bucket.blob(name).upload_from_string(data.encode() if isinstance(data, str) else data)


def hr(repo: FileRepo, bucket_name: str) -> Plan:
    return repo.connector(
        "hr-bucket",
        {"path": f"gs://{bucket_name}/drop/hr", "glob": "*.csv", "csv": {"normalizeHeaders": True}},
        MAPPING,
    )


def test_a_bucket_folder_syncs_end_to_end(tmp_path: Path, bucket: Any, downloads: list[str]) -> None:
    repo = FileRepo(tmp_path / "repo")
    base = f"gs://{bucket.name}/drop/hr"
    put(bucket, "drop/hr/a.csv", A_CSV)
    put(bucket, "drop/hr/b.csv", B_CSV)
    put(bucket, "drop/hr/", "")  # a console-made "folder" object: not a file
    put(bucket, "drop/hr/archive/old.csv", "Employee ID,Full Name,Team\n9,Old,eng\n")  # a sub-"folder": ignored
    put(bucket, "drop/hr/.a.csv.tmp.csv", "Employee ID\n8\n")  # a writer's hidden temp file: ignored
    put(bucket, "drop/hrx.csv", "Employee ID\n7\n")  # a sibling with the same leading characters: ignored
    plan = hr(repo, bucket.name)
    assert isinstance(plan.source, FileSource)
    assert (plan.source.storage, plan.source.folder) == ("gcs", base)

    first = repo.run(plan)  # create
    docs = repo.upserts(plan, first)
    assert sorted(docs) == ["1", "2", "3"]
    assert text_content(docs["2"]) == "Bob (ops)"
    catalogue = repo.catalogue(plan)
    assert set(catalogue) == {f"{base}/a.csv", f"{base}/b.csv"}
    assert catalogue[f"{base}/a.csv"][0] == len(A_CSV)
    assert catalogue[f"{base}/a.csv"][1].startswith("md5:")
    assert sorted(downloads) == [f"{base}/a.csv", f"{base}/b.csv"]

    downloads.clear()
    unchanged = repo.run(plan)  # nothing changed: the listing alone decides, no object is downloaded
    assert downloads == []
    assert unchanged.changes is not None
    assert (unchanged.changes.new, unchanged.changes.changed, unchanged.changes.unchanged) == (0, 0, 3)
    assert any(f"2 file(s) in {base} match '*.csv': 0 read, 2 unchanged" in note for note in unchanged.notes)

    put(bucket, "drop/hr/b.csv", "Employee ID,Full Name,Team\n3,Cy,ops\n4,Dee,ops\n")  # edited
    edited = repo.run(plan)
    assert downloads == [f"{base}/b.csv"]
    assert sorted(repo.upserts(plan, edited)) == ["3", "4"]
    assert text_content(repo.upserts(plan, edited)["3"]) == "Cy (ops)"

    bucket.blob("drop/hr/a.csv").delete()  # removed: its documents are deleted
    removed = repo.run(plan)
    assert repo.deletes(plan, removed) == {"1", "2"}
    assert repo.upserts(plan, removed) == {}
    assert set(repo.state_ids(plan)) == {"3", "4"}
    assert set(repo.catalogue(plan)) == {f"{base}/b.csv"}


def test_a_whole_file_over_the_inline_limit_is_sent_by_its_gs_uri(tmp_path: Path, bucket: Any) -> None:
    repo = FileRepo(tmp_path / "repo")
    put(bucket, "policies/handbook.pdf", PDF)
    put(bucket, "policies/leave.pdf", b"%PDF-1.4 leave")
    plan = repo.connector(
        "policies",
        {"path": f"gs://{bucket.name}/policies", "documentMode": "file"},
        {"idField": "file_path", "titleField": "file_name"},
    )
    report = repo.run(plan)
    docs = repo.upserts(plan, report)
    big = document_id(f"gs://{bucket.name}/policies/handbook.pdf", plan.mapping.id)
    small = document_id(f"gs://{bucket.name}/policies/leave.pdf", plan.mapping.id)
    assert docs[big]["content"] == {"mimeType": "application/pdf", "uri": f"gs://{bucket.name}/policies/handbook.pdf"}
    assert docs[small]["content"] == {
        "mimeType": "application/pdf",
        "rawBytes": base64.b64encode(b"%PDF-1.4 leave").decode(),
    }


def test_a_missing_bucket_is_one_line_naming_the_folder(tmp_path: Path, gcs_bucket: str) -> None:
    repo = FileRepo(tmp_path / "repo")
    plan = hr(repo, "no-such-bucket-here")
    with pytest.raises(SourceError) as failure:
        repo.run(plan)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("cannot list folder gs://no-such-bucket-here/drop/hr: the bucket no-such-bucket-here")
    assert "nothing was deleted" in message
    assert not (repo.root / "state" / "hr-bucket.duckdb").exists()


def test_an_object_replaced_after_listing_fails_as_changed_while_read(bucket: Any) -> None:
    put(bucket, "in/a.csv", A_CSV)
    folder = GcsFolder.from_uri(f"gs://{bucket.name}/in", "*.csv")
    (entry,) = folder.list()
    put(bucket, "in/a.csv", A_CSV.replace("Ann", "Amy"))  # same size, other bytes and generation
    with pytest.raises(SourceError, match=r"file gs://.*/in/a.csv changed while it was read"):
        folder.read_bytes(entry)
    with pytest.raises(SourceError, match=r"changed while it was read"), folder.local_copy(entry):
        pass
    assert not folder.unchanged_since_listed(entry)


def test_a_local_copy_is_the_object_and_is_removed_afterwards(bucket: Any) -> None:
    put(bucket, "in/a.csv", A_CSV)
    folder = GcsFolder.from_uri(f"gs://{bucket.name}/in/", "*.csv")  # a trailing slash is the same folder
    (entry,) = folder.list()
    assert entry == FileEntry(f"gs://{bucket.name}/in/a.csv", "a.csv", len(A_CSV), entry.mtime_ns)
    assert entry.mtime_ns > 0
    with folder.local_copy(entry) as local:
        assert local.read_bytes() == A_CSV.encode()
        assert local.name == "a.csv"
    assert not local.exists()
    assert folder.unchanged_since_listed(entry)
    assert folder.content_uri(entry) == entry.path


def test_a_composite_object_without_md5_is_hashed_by_its_crc32c(bucket: Any) -> None:
    put(bucket, "in/a.csv", A_CSV)
    folder = GcsFolder.from_uri(f"gs://{bucket.name}/in", "*.csv")
    (entry,) = folder.list()
    # Cloud Storage gives a composed object no MD5 (the emulator computes one anyway): drop it from the listing.
    folder._listed[entry.path] = dataclasses.replace(folder._listed[entry.path], md5=None)
    assert folder.content_hash(entry).startswith("crc32c:")
    assert folder.content_hash(entry) == "crc32c:" + base64.b64decode(bucket.get_blob("in/a.csv").crc32c).hex()
