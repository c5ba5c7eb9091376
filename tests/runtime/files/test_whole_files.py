"""documentMode: file: one record per file, its content the file itself (or the mapping's template)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.errors import SourceError
from runtime.sources.base import CONTENT_COLUMN, CONTENT_URI_COLUMN, MIME_TYPE_COLUMN
from tests.runtime.files.filerepo import FileRepo
from tests.runtime.files.pulls import pull

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MANUALS = {"idField": "file_path", "titleField": "file_name"}


def test_each_file_is_a_record_with_its_bytes_and_the_mime_type_of_its_extension(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    repo.write("manuals/guide.pdf", PDF)
    repo.write("manuals/intro.HTML", "<h1>Intro</h1>")
    repo.write("manuals/notes.md", "# Notes")
    repo.write("manuals/.draft.pdf", b"hidden")
    plan = repo.connector("manuals", {"path": "manuals", "documentMode": "file"}, MANUALS)
    result = pull(repo, plan)
    assert result.record_format == "columns"
    by_name = {row["file_name"]: row for row in result.rows}
    assert sorted(by_name) == ["guide.pdf", "intro.HTML", "notes.md"]
    assert by_name["guide.pdf"][CONTENT_COLUMN] == PDF
    assert by_name["guide.pdf"][MIME_TYPE_COLUMN] == "application/pdf"
    assert by_name["intro.HTML"][MIME_TYPE_COLUMN] == "text/html"
    assert by_name["notes.md"][MIME_TYPE_COLUMN] == "text/plain"
    assert by_name["guide.pdf"][CONTENT_URI_COLUMN] is None
    assert (by_name["guide.pdf"]["file_path"], by_name["guide.pdf"]["__part"]) == ("manuals/guide.pdf",) * 2
    assert by_name["guide.pdf"]["file_size_bytes"] == len(PDF)
    assert "file_rows_json" not in result.columns  # not parsed


def test_a_file_of_a_type_discovery_engine_does_not_accept_fails_naming_it(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    repo.write("manuals/guide.pdf", PDF)
    repo.write("manuals/photo.png", b"\x89PNG")
    plan = repo.connector("manuals", {"path": "manuals", "documentMode": "file"}, MANUALS)
    with pytest.raises(SourceError, match=r"file manuals/photo.png: .png is not a content type Discovery Engine acc"):
        pull(repo, plan)


def test_a_local_file_over_the_inline_limit_fails_naming_it_and_the_fix(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    repo.write("manuals/big.txt", b"x" * 1_000_001)
    repo.write("manuals/small.txt", b"x" * 1_000_000)  # at the limit: inline
    plan = repo.connector("manuals", {"path": "manuals", "documentMode": "file"}, MANUALS)
    with pytest.raises(
        SourceError, match=r"file manuals/big.txt is 1,000,001 bytes, over the 1,000,000-byte limit.*gs://"
    ):
        pull(repo, plan)
    (tmp_path / "manuals" / "big.txt").unlink()
    assert len(pull(repo, plan).rows[0][CONTENT_COLUMN]) == 1_000_000


def test_whole_csv_files_carry_their_text_and_rows_and_use_the_template(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    data = 'Name,Owner (Team),note\nAnn,#ERROR: ref,"two\nlines"\nBob,ops,\n'
    repo.write("exports/team.csv", b"\xef\xbb\xbf" + data.encode())
    source = {"path": "exports", "glob": "*.csv", "csv": {"documentMode": "file", "cleanErrors": True}}
    plan = repo.connector("teams", source, {"idField": "file_path", "contentTemplate": "{{ file_content_raw }}"})
    (row,) = pull(repo, plan).rows
    assert row["file_content_raw"] == data  # the text, without the byte-order mark
    assert json.loads(row["file_rows_json"]) == [
        {"Name": "Ann", "Owner (Team)": None, "note": "two\nlines"},  # headers as written; cleanErrors applies
        {"Name": "Bob", "Owner (Team)": "ops", "note": None},
    ]
    assert CONTENT_COLUMN not in row  # the content is the mapping's template


def test_whole_ndjson_and_parquet_files_carry_their_rows(tmp_path: Path) -> None:
    import duckdb

    repo = FileRepo(tmp_path)
    repo.write("events/a.ndjson", '{"id": 1, "tags": ["x"]}\n{"id": 2}\n')
    events = repo.connector(
        "events",
        {"path": "events", "format": "ndjson", "documentMode": "file"},
        {"idField": "file_path", "contentTemplate": "{{ file_rows_json }}"},
    )
    (row,) = pull(repo, events).rows
    assert json.loads(row["file_rows_json"]) == [{"id": 1, "tags": ["x"]}, {"id": 2}]
    assert row["file_content_raw"] == '{"id": 1, "tags": ["x"]}\n{"id": 2}\n'
    (tmp_path / "tables").mkdir()
    duckdb.connect().execute(f"COPY (SELECT 7 AS n, 'seven' AS word) TO '{tmp_path / 'tables' / 't.parquet'}'")
    tables = repo.connector(
        "tables",
        {"path": "tables", "format": "parquet", "documentMode": "file"},
        {"idField": "file_path", "contentTemplate": "{{ file_rows_json }}"},
    )
    (row,) = pull(repo, tables).rows
    assert json.loads(row["file_rows_json"]) == [{"n": 7, "word": "seven"}]
    assert row["file_content_raw"] is None
