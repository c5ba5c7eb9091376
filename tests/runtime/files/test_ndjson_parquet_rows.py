"""NDJSON ("json" records through read_json) and Parquet (typed columns through read_parquet) rows."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import duckdb
import pytest

from runtime.errors import SourceError
from tests.runtime.files.filerepo import FileRepo
from tests.runtime.files.pulls import pull


def ndjson(tmp_path: Path, files: dict[str, str]) -> tuple[FileRepo, list[dict[str, object]], str]:
    repo = FileRepo(tmp_path)
    for name, text in files.items():
        repo.write(f"data/{name}", text)
    result = pull(
        repo, repo.connector("events", {"path": "data", "glob": "*.ndjson", "format": "ndjson"}, {"idField": "id"})
    )
    records = [{**json.loads(str(row["__record"])), "__part": row["__part"]} for row in result.rows]
    return repo, records, result.record_format


def test_ndjson_records_keep_nesting_and_json_types_and_gain_the_file_fields(tmp_path: Path) -> None:
    lines = '{"id": 1, "author": {"email": "a@x.com"}, "tags": ["x"], "score": 1.5}\n\n{"id": "b", "ok": true}\n'
    _, records, record_format = ndjson(tmp_path, {"a.ndjson": "\ufeff" + lines})
    assert record_format == "json"
    first, second = records
    assert first["author"] == {"email": "a@x.com"}
    assert first["tags"] == ["x"]
    assert first["score"] == 1.5
    assert second["ok"] is True
    assert second["id"] == "b"
    size = len(("\ufeff" + lines).encode())
    for record in records:
        assert (record["file_path"], record["file_name"], record["file_size_bytes"]) == (
            "data/a.ndjson",
            "a.ndjson",
            size,
        )
        assert record["__part"] == "data/a.ndjson"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('{"id": 2}\n{"id": 3}\n{"id": 4,\n', 3, "unexpected end of data"),
        ('{"id": 2}\n\n\n{"id": 3 x}\n{"id": 5}\n', 4, "unexpected character"),  # blank lines still count
        ('{"id": 4 x}', 1, "unexpected character"),
    ],
)
def test_malformed_json_fails_naming_the_file_and_line(tmp_path: Path, text: str, line: int, reason: str) -> None:
    pattern = rf"file data/b.ndjson, line {line}: malformed JSON \({reason}, at byte \d+ of the line\); write one"
    with pytest.raises(SourceError, match=pattern):
        ndjson(tmp_path, {"a.ndjson": '{"id": 1}\n', "b.ndjson": text})


@pytest.mark.parametrize(
    ("line", "what"),
    [("[1, 2]", "is a JSON array, not an object"), ('{"id": 9, "file_name": "x"}', "has the key 'file_name'")],
)
def test_a_record_that_is_not_an_object_or_sets_a_file_field_is_named_by_line(
    tmp_path: Path, line: str, what: str
) -> None:
    text = '{"id": 1}\n\n{"id": 2}\n' + line + "\n"
    with pytest.raises(SourceError, match=rf"file data/a.ndjson, line 4: the record {what}"):
        ndjson(tmp_path, {"a.ndjson": text})


def test_parquet_rows_are_typed_and_files_union_by_name(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    (tmp_path / "data").mkdir()
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 1 AS id, 'Ann' AS name, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS updated_at)"
        f" TO '{tmp_path / 'data' / 'a.parquet'}'"
    )
    con.execute(f"COPY (SELECT 2 AS id, 2.5 AS score) TO '{tmp_path / 'data' / 'b.parquet'}'")
    mapping = {"idField": "id", "metadataFields": ["name", "score", "updated_at", "file_path"]}
    result = pull(repo, repo.connector("tables", {"path": "data", "glob": "*.parquet", "format": "parquet"}, mapping))
    by_id = {row["id"]: row for row in result.rows}
    assert result.record_format == "columns"
    assert by_id[1]["name"] == "Ann"
    assert by_id[1]["score"] is None
    assert by_id[1]["updated_at"] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert float(by_id[2]["score"]) == 2.5
    assert by_id[2]["name"] is None
    assert (by_id[2]["file_path"], by_id[2]["__part"]) == ("data/b.parquet", "data/b.parquet")


def test_a_damaged_parquet_file_fails_naming_it(tmp_path: Path) -> None:
    repo = FileRepo(tmp_path)
    repo.write("data/broken.parquet", b"PAR1 this is not parquet")
    plan = repo.connector("tables", {"path": "data", "glob": "*.parquet", "format": "parquet"}, {"idField": "id"})
    with pytest.raises(
        SourceError, match=r"file data/broken.parquet: cannot be read as Parquet: .*; replace or remove"
    ):
        pull(repo, plan)
