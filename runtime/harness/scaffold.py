"""`runtime test --scaffold CONNECTOR`: a starter case with two runs, filled in by running it.

The given rows are shaped by what the connector reads (a SQL query's selected columns and its FROM table; the
mapping's fields for the other modes): two records in the first run; in the second, the first one edited and the
second one gone, so the case exercises an update and the delete policy. The expectations are then written by
running the case (`--update`), so the starter passes and shows what the connector produces today: review it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import posixpath
import re
from pathlib import Path
from typing import Any, assert_never

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from compiler.plan import FileSource, HttpSource, Plan, PushSource, SqlSource
from compiler.plan.providers import PROVIDERS
from runtime.errors import ConfigError
from runtime.sources.files.folder import matches
from runtime.sources.files.headers import FILE_FIELDS

HEADER = "# yaml-language-server: $schema=../../../compiler/schema/connector-case.schema.json\n"


def _fields(plan: Plan) -> list[str]:
    mapping = plan.mapping
    names = [mapping.id.field, mapping.title_field, mapping.acl_users_field, mapping.acl_groups_field]
    for template in (mapping.content, mapping.uri):
        if template is not None:
            names += list(template.variables)
    names += list(mapping.metadata_fields)
    names.append(plan.extraction.watermark_field)
    unique: dict[str, None] = {}
    for name in names:
        if name:
            unique.setdefault(name, None)
    return list(unique)


def sample(plan: Plan, fields: list[str], n: int, edited: bool = False) -> dict[str, Any]:
    """A plausible record: the id a number, ACL fields lists of principals, the watermark a timestamp."""
    mapping = plan.mapping
    record: dict[str, Any] = {}
    for name in fields:
        if name == mapping.id.field:
            value: Any = n
        elif name == mapping.acl_users_field:
            value = [f"user{n}@example.com"]
        elif name == mapping.acl_groups_field:
            value = [f"group{n}@example.com"]
        elif name == plan.extraction.watermark_field:
            value = dt.datetime(2024, 1, 1 + n, 9, 0, 0) + (dt.timedelta(days=10) if edited else dt.timedelta())
        else:
            value = f"{name} {n}" + (" (edited)" if edited else "")
        record[name] = value
    return record


def _flow(record: dict[str, Any]) -> str:
    """A record as a YAML flow mapping; timestamps unquoted, so YAML (and then DuckDB) types them."""

    def value(v: Any) -> str:
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else json.dumps(v)

    return "{" + ", ".join(f"{json.dumps(k)}: {value(v)}" for k, v in record.items()) + "}"


def _sql_tables(source: SqlSource) -> list[str]:
    try:
        tree = sqlglot.parse_one(source.snapshot_statement, read=PROVIDERS[source.provider].dialect)
    except ParseError:
        return ["source_table"]
    names = [".".join(p for p in (t.db, t.name) if p) for t in tree.find_all(exp.Table)]
    return list(dict.fromkeys(names)) or ["source_table"]


def scaffold_text(plan: Plan) -> str:
    """The starter case (expectations still empty)."""
    source = plan.source
    fields = _fields(plan)
    if isinstance(source, SqlSource):
        fields = list(source.columns or fields)
    first = [sample(plan, fields, 1), sample(plan, fields, 2)]
    second = [sample(plan, fields, 1, edited=True)]

    def rows(records: list[dict[str, Any]]) -> str:
        return "\n".join(f"          - {_flow(r)}" for r in records)

    if isinstance(source, SqlSource):
        tables = _sql_tables(source)
        note = f"  # the query reads {', '.join(tables)}: split the columns between them\n" if len(tables) > 1 else ""
        given = [f"      tables:\n{note}        {tables[0]}:\n{rows(r)}" for r in (first, second)]
    elif isinstance(source, HttpSource):
        given = [f"      records:\n{rows(r).replace('          - ', '        - ')}" for r in (first, second)]
    elif isinstance(source, PushSource):
        upserts = [{"op": "UPSERT", "record": r} for r in first]
        delete = {"op": "DELETE", "id": "2"}
        pushes = [[f"events: {json.dumps(upserts, default=str)}"]]
        if plan.reconciliation.delete_policy == "never_delete":  # the receiver refuses a DELETE at the door
            pushes.append(
                [
                    f"events: {json.dumps([{'op': 'UPSERT', 'record': second[0]}], default=str)}",
                    f"events: {json.dumps([delete])}\n          expectStatus: 422  # never_delete: DELETE is refused",
                ]
            )
        else:
            pushes.append([f"events: {json.dumps([{'op': 'UPSERT', 'record': second[0]}, delete], default=str)}"])
        given = ["      pushes:\n" + "\n".join(f"        - {push}" for push in run) for run in pushes]
    elif isinstance(source, FileSource):
        given = [
            "      files:\n" + "\n".join(f"        {json.dumps(name)}: {value}" for name, value in files.items())
            for files in file_givens(plan, source)
        ]
    else:
        assert_never(source)
    runs = "".join(
        f"  - name: {name}\n    given:\n{g}\n    expect:\n      upserted: []\n"
        for name, g in zip(("first sync", "one record edited, one removed"), given, strict=True)
    )
    return (
        f"{HEADER}connector: {plan.name}\n"
        f"description: starter case written by `runtime test --scaffold`; review the values and expectations\n"
        f"runs:\n{runs}"
    )


def write_scaffold(plan: Plan, root: Path) -> Path:
    path = root / "tests" / "connectors" / plan.name / "starter.yaml"
    if path.exists():
        raise ConfigError(f"{path} exists; edit it, or remove it to scaffold again")
    fixtures = scaffold_fixtures(plan)
    if clash := [name for name in fixtures if (path.parent / name).exists()]:
        raise ConfigError(f"{path.parent / clash[0]} exists; remove it to scaffold again")
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, data in fixtures.items():
        (path.parent / name).write_bytes(data)
    path.write_text(scaffold_text(plan), encoding="utf-8")
    return path


# file_pull: the files of each run, in the plan's format, named to match its glob.

RUN_NAMES = ("run1", "run2")
EXTENSIONS = {"csv": ".csv", "ndjson": ".ndjson", "parquet": ".parquet", None: ".txt"}


def file_name(glob: str, stem: str, extension: str) -> str:
    """A name `glob` matches: its first `*` is `stem`, the others empty, `?` an `x`, a set one of its members."""
    if glob == "*":
        return stem + extension

    def member(match: re.Match[str]) -> str:
        chars = match.group(2)
        if match.group(1):  # [!abc]: a character outside the set
            return next(c for c in "xyz0_" if c not in chars)
        return chars[0]

    name = re.sub(r"\[(!?)([^\]]+)\]", member, glob)
    name = name.replace("*", stem, 1).replace("*", "").replace("?", "x")
    if not matches(name, glob):
        raise ConfigError(f"cannot make a file name that spec.source.glob {glob!r} matches; write the case by hand")
    return name


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _csv_text(source: FileSource, records: list[dict[str, Any]]) -> str:
    options = source.csv
    delimiter = options.delimiter if options is not None else ","
    header = options.has_header if options is not None else True
    names = [name for name in records[0] if name not in FILE_FIELDS]
    if not header:  # fields are column_1, column_2, ...: put each mapped one in its position
        positions = {int(n.removeprefix("column_")): n for n in names if re.fullmatch(r"column_[1-9][0-9]*", n)}
        names = [positions.get(i, "") for i in range(1, max(positions, default=0) + 1)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    if header:
        writer.writerow(names)
    for record in records:
        values = [record.get(name) for name in names]
        writer.writerow([",".join(v) if isinstance(v, list) else _scalar(v) for v in values])
    return out.getvalue()


def _ndjson_text(records: list[dict[str, Any]]) -> str:
    lines = [{k: _scalar(v) for k, v in r.items() if k not in FILE_FIELDS} for r in records]
    return "".join(json.dumps(line) + "\n" for line in lines)


def _parquet(records: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{k: v for k, v in r.items() if k not in FILE_FIELDS} for r in records]
    out = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return bytes(out.getvalue().to_pybytes())


def _literal(text: str) -> str:
    """`text` as a YAML literal block under a file key (the text ends with a newline)."""
    return "|\n" + "\n".join(f"          {line}" for line in text.splitlines())


SAMPLES = (((1, False), (2, False)), ((1, True),))
"""The starter's records per run (number, edited): two, then the first edited and the second gone."""


def _file_runs(plan: Plan, source: FileSource) -> list[dict[str, tuple[str, bytes | None]]]:
    """Per run: file name -> (its YAML value in `given.files`, the fixture's bytes for a Parquet file)."""
    fields = _fields(plan)
    extension = EXTENSIONS[source.format]
    runs: list[dict[str, tuple[str, bytes | None]]] = []
    for run_name, samples in zip(RUN_NAMES, SAMPLES, strict=True):
        records = [(n, edited, sample(plan, fields, n, edited)) for n, edited in samples]
        if source.document_mode == "row":  # one file holding the run's rows
            chunks = [(file_name(source.glob, "starter", extension), [r for _, _, r in records], "")]
        else:  # one file per record: a whole document each
            chunks = [
                (file_name(source.glob, f"doc-{n}", extension), [r], f"Document {n}{' (edited)' if edited else ''}")
                for n, edited, r in records
            ]
        files: dict[str, tuple[str, bytes | None]] = {}
        for name, chunk, title in chunks:
            if source.format == "parquet":
                fixture = f"{posixpath.splitext(name)[0]}-{run_name}.parquet"
                files[name] = (f"{{file: {fixture}}}", _parquet(chunk))
            elif source.format == "csv":
                files[name] = (_literal(_csv_text(source, chunk)), None)
            elif source.format == "ndjson":
                files[name] = (_literal(_ndjson_text(chunk)), None)
            else:
                files[name] = (_literal(f"{title}.\nA starter document written by --scaffold.\n"), None)
        runs.append(files)
    return runs


def file_givens(plan: Plan, source: FileSource) -> list[dict[str, str]]:
    """`given.files` of each run, as YAML values."""
    return [{name: value for name, (value, _) in files.items()} for files in _file_runs(plan, source)]


def scaffold_fixtures(plan: Plan) -> dict[str, bytes]:
    """Files the starter case refers to, written beside it (a Parquet source's files)."""
    if not isinstance(plan.source, FileSource):
        return {}
    return {
        value.removeprefix("{file: ").removesuffix("}"): data
        for files in _file_runs(plan, plan.source)
        for value, data in files.values()
        if data is not None
    }
