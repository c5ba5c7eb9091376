"""CSV rows through DuckDB's read_csv: headers, cleanErrors, encodings, quoting, and bad files named by line."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import SourceError
from runtime.sources.files.headers import normalize_header
from tests.runtime.files import pulls
from tests.runtime.files.filerepo import FileRepo
from tests.runtime.files.pulls import pull

FILE_FIELDS = ["file_path", "file_name", "file_mtime", "file_size_bytes"]


@pytest.fixture(autouse=True, params=["batches", "scan"])
def via(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here holds for rows read as batches and for rows the engine stages in place (`Scan`)."""
    monkeypatch.setattr(pulls, "VIA", request.param)
    return str(request.param)


def rows_of(
    tmp_path: Path,
    files: dict[str, bytes | str],
    csv: dict[str, Any] | None = None,
    fields: tuple[str, ...] | list[str] = (),
    id_field: str = "id",
    **source: Any,
) -> Any:
    """Pull the files; a record holds the fields its mapping reads, so `fields` become metadata fields."""
    repo = FileRepo(tmp_path)
    for name, data in files.items():
        repo.write(f"data/{name}", data)
    spec: dict[str, Any] = {"path": "data", "glob": "*.csv", **source}
    if csv is not None:
        spec["csv"] = csv
    mapping: dict[str, Any] = {"idField": id_field}
    if fields:
        mapping["metadataFields"] = list(fields)
    return pull(repo, repo.connector("rows", spec, mapping))


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Owner (Team)", "owner_team"),  # the brief's examples
        ("Größe", "groe"),
        ("Über", "uber"),
        ("  __Employee--ID__ ", "employee_id"),
        ("Q1 2024 (€)", "q1_2024"),
        ("ＡＢＣ ﬁle", "abc_file"),  # NFKD: full-width letters and the fi ligature become ASCII
        ("already_snake", "already_snake"),
        ("CamelCase", "camelcase"),
    ],
)
def test_normalize_header_is_the_briefs_definition(header: str, normalised: str) -> None:
    assert normalize_header(header) == normalised


def test_normalized_headers_name_the_fields(tmp_path: Path) -> None:
    data = "ID,Owner (Team),Größe\n1,a,b\n"
    result = rows_of(tmp_path, {"a.csv": data}, {"normalizeHeaders": True}, ["owner_team", "groe", *FILE_FIELDS])
    assert result.rows == [
        {
            "id": "1",
            "owner_team": "a",
            "groe": "b",
            "file_path": "data/a.csv",
            "file_name": "a.csv",
            "file_mtime": result.rows[0]["file_mtime"],
            "file_size_bytes": len(data.encode()),
            "__part": "data/a.csv",
        }
    ]
    stat = (tmp_path / "data" / "a.csv").stat()
    expected = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        microseconds=stat.st_mtime_ns // 1000
    )
    assert result.rows[0]["file_mtime"] == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_headers_are_kept_as_written_without_normalization(tmp_path: Path) -> None:
    result = rows_of(tmp_path, {"a.csv": "id,Owner (Team)\n1,a\n"}, fields=["Owner (Team)"])
    assert result.rows[0]["Owner (Team)"] == "a"


def test_two_headers_normalising_to_one_name_fail_naming_both_columns(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"file data/a.csv: columns 2 and 3 are both named 'owner' after norm"):
        rows_of(tmp_path, {"a.csv": "id,Owner,OWNER\n1,a,b\n"}, {"normalizeHeaders": True})


def test_an_empty_header_takes_its_position_and_no_header_means_column_n(tmp_path: Path) -> None:
    assert rows_of(tmp_path, {"a.csv": "id,,x\n1,2,3\n"}, fields=["column_2", "x"]).rows[0]["column_2"] == "2"
    files = {"a.csv": "1,Ann\n2,Bob\n"}
    result = rows_of(tmp_path / "none", files, {"hasHeader": False}, ["column_2"], id_field="column_1")
    assert [(r["column_1"], r["column_2"]) for r in result.rows] == [("1", "Ann"), ("2", "Bob")]


def test_a_column_named_like_a_file_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"file data/a.csv: the column 'file_name' collides with a field"):
        rows_of(tmp_path, {"a.csv": "id,file_name\n1,x\n"})


@pytest.mark.parametrize(
    ("cell", "cleaned"),
    [
        ("#ERROR", True),
        ("#ERROR: ref", True),
        ("#ERROR ref not found", True),
        ("#ERROR!", True),
        ("#ERRORS", False),  # another word
        ("#ERROR_2", False),
        ("#error", False),  # the word is #ERROR
        (" #ERROR", False),  # starts with a space, not with the word
        ("value #ERROR", False),
    ],
)
def test_clean_errors_empties_cells_starting_with_the_word_error(tmp_path: Path, cell: str, cleaned: bool) -> None:
    data = f'id,v,w\n1,"{cell}",keep\n'
    on = rows_of(tmp_path / "on", {"a.csv": data}, {"cleanErrors": True}, ["v", "w"]).rows[0]
    assert on["v"] == (None if cleaned else cell)
    assert on["w"] == "keep"
    off = rows_of(tmp_path / "off", {"a.csv": data}, fields=["v"]).rows[0]
    assert off["v"] == cell


def test_an_empty_cell_reads_as_null_like_a_cleaned_one(tmp_path: Path) -> None:
    result = rows_of(tmp_path, {"a.csv": 'id,v,w\n1,,""\n'}, {"cleanErrors": True}, ["v", "w"])
    assert (result.rows[0]["v"], result.rows[0]["w"]) == (None, None)


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (None, "id,name\n1,café\n".encode()),
        ("utf-8", b"\xef\xbb\xbfid,name\n1,caf\xc3\xa9\n"),  # a byte-order mark is not part of the first header
        ("UTF-8-SIG", b"\xef\xbb\xbfid,name\n1,caf\xc3\xa9\n"),
        ("latin-1", b"id,name\n1,caf\xe9\n"),
        ("iso-8859-1", b"id,name\n1,caf\xe9\n"),
        ("utf-16", "id,name\n1,café\n".encode("utf-16")),
    ],
)
def test_encodings(tmp_path: Path, encoding: str | None, data: bytes) -> None:
    csv = None if encoding is None else {"encoding": encoding}
    result = rows_of(tmp_path, {"a.csv": data}, csv, ["name"])
    assert [(r["id"], r["name"]) for r in result.rows] == [("1", "café")]


def test_latin_1_bytes_read_as_utf_8_fail_naming_the_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"file data/a.csv, line 3: .*set spec.source.csv.encoding"):
        rows_of(tmp_path, {"a.csv": b"id,name\n1,ok\n2,caf\xe9\n"})


def test_quoted_fields_span_lines_and_quotes_double(tmp_path: Path) -> None:
    data = 'id,body\r\n1,"line one\r\nline two"\r\n2,"say ""hi"", twice"\r\n'
    result = rows_of(tmp_path, {"a.csv": data}, fields=["body"])
    assert [r["body"] for r in result.rows] == ["line one\r\nline two", 'say "hi", twice']


def test_a_delimiter_and_every_value_as_text(tmp_path: Path) -> None:
    result = rows_of(tmp_path, {"a.csv": "id;n;when\n007;1.50;2024-01-01\n"}, {"delimiter": ";"}, ["n", "when"])
    assert {k: result.rows[0][k] for k in ("id", "n", "when")} == {"id": "007", "n": "1.50", "when": "2024-01-01"}


def test_an_unterminated_quote_fails_naming_the_file_and_line(tmp_path: Path) -> None:
    body = "".join(f"{i},row {i}\n" for i in range(1, 30))
    data = "id,name\n" + body + '30,"never closed\n31,x\n'
    with pytest.raises(SourceError) as failure:
        rows_of(tmp_path, {"a.csv": "id,name\n1,fine\n", "b.csv": data})
    message = str(failure.value)
    assert message.startswith("file data/b.csv, line 31: Value with unterminated quote found; close the quote")
    assert "never closed" not in message  # the file's data is not copied into the error
    assert "\n" not in message


def test_a_bad_line_deep_in_a_file_fails_naming_the_file_and_line(tmp_path: Path) -> None:
    """Past the first result batches DuckDB's error reaches Python through pyarrow (an OSError): still named."""
    data = "id,name\n" + "".join(f"{i},row {i}\n" for i in range(1, 60_000)) + "60000,a,extra\n"
    with pytest.raises(SourceError, match=r"file data/a.csv, line 60001: Expected Number of Columns"):
        rows_of(tmp_path, {"a.csv": data})


def test_a_row_with_too_many_fields_fails_naming_the_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"file data/a.csv, line 3: Expected Number of Columns: 2 Found: 3; give"):
        rows_of(tmp_path, {"a.csv": "id,name\n1,a\n2,b,c\n"})


def test_a_line_longer_than_duckdb_reads_fails_naming_the_line_and_the_fix(tmp_path: Path) -> None:
    data = "id,name\n1,a\n2," + "x" * (3 << 20) + "\n"
    with pytest.raises(SourceError, match=r"file data/a.csv, line 3: .*; split the line, or check the delimiter"):
        rows_of(tmp_path, {"a.csv": data})


def test_files_with_different_headers_share_one_schema(tmp_path: Path) -> None:
    files = {"a.csv": "id,x\n1,a\n", "b.csv": "id,y\n2,b\n", "c.csv": "", "d.csv": "id,x\n"}
    result = rows_of(tmp_path, files, fields=["x", "y", "file_name"])
    assert [(r["id"], r["x"], r["y"], r["file_name"]) for r in result.rows] == [
        ("1", "a", None, "a.csv"),
        ("2", None, "b", "b.csv"),
    ]
    assert result.outcome.complete is True
    assert result.record_format == "columns"


def test_files_with_one_header_give_each_row_its_own_file_fields(tmp_path: Path) -> None:
    files = {"a.csv": "id,x\n1,a\n2,b\n", "b.csv": "id,x\n3,c\n", "c.csv": "id,x\n4,d\n5,e\n6,f\n"}
    result = rows_of(tmp_path, files, fields=["x", "file_name", "file_size_bytes"])
    rows = sorted((r["id"], r["file_name"], r["file_size_bytes"]) for r in result.rows)
    sizes = {name: len(data) for name, data in files.items()}
    assert rows == [(i, name, sizes[name]) for i, name in [("1", "a.csv"), ("2", "a.csv"), ("3", "b.csv")]] + [
        (i, "c.csv", sizes["c.csv"]) for i in ("4", "5", "6")
    ]


def test_no_matching_file_is_an_empty_complete_snapshot_with_the_mapped_fields(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = rows_of(tmp_path, {"notes.txt": "not a csv"}, fields=["file_path", "dept"])
    assert result.rows == []
    assert result.outcome.complete is True
    assert result.columns == ["id", "dept", "file_path", "__part"]


def test_a_record_holds_only_the_fields_its_mapping_reads(tmp_path: Path) -> None:
    result = rows_of(tmp_path, {"a.csv": "id,x,unused\n1,a,b\n"}, fields=["x", "file_size_bytes"])
    assert result.columns == ["id", "x", "file_size_bytes", "__part"]
    assert result.rows[0]["file_size_bytes"] == len("id,x,unused\n1,a,b\n")


def test_a_file_without_the_id_field_fails_naming_the_file_and_its_fields(tmp_path: Path) -> None:
    with pytest.raises(
        SourceError, match=r"file data/b.csv has no field 'id', the mapping's idField \(its fields: 'Id'"
    ):
        rows_of(tmp_path, {"a.csv": "id\n1\n", "b.csv": "Id\n2\n"})


def test_the_glob_leaves_hidden_and_other_files_alone(tmp_path: Path) -> None:
    files = {"a.csv": "id\n1\n", ".a.csv.tmp.csv": "garbage", "b.CSV": "id\n2\n", "c.txt": "id\n3\n"}
    assert [r["id"] for r in rows_of(tmp_path, files).rows] == ["1"]
