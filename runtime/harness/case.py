"""Harness case files: `tests/connectors/<connector>/<case>.yaml`, loaded into typed runs with positions.

A case names its connector, stubs its secrets, and lists runs; each run has a `given` (what the source holds or
returns) and an `expect` (what the run must produce). The file is read with ruamel.yaml's round trip so that
`--update` can write new expectations back with the file's comments and layout (`runtime.harness.update`), and
every error names the file, line and column. The JSON Schema editors use is
`compiler/schema/connector-case.schema.json`; this loader is what the harness itself trusts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from runtime.errors import ConfigError

CASE_GLOBS = ("*.yaml", "*.yml")
GIVEN_KINDS = ("tables", "pages", "records", "pushes", "files")
DOCUMENT_KEYS = ("upserted", "deleted", "softDeleted", "watermark")
Compare = Literal["exact", "subset"]


class CaseError(ConfigError):
    """A case file that cannot be run as written: `path:line:column: message`."""

    exit_code = 2

    def __init__(self, path: Path, line: int, column: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path, self.line, self.column = path, line, column


@dataclass(frozen=True, slots=True)
class Expect:
    upserted: list[dict[str, Any]] | None = None
    deleted: list[str] | None = None
    soft_deleted: list[str] | None = None
    watermark: Any = None
    has_watermark: bool = False
    compare: Compare = "exact"
    failure: str | None = None
    node: CommentedMap | None = field(default=None, compare=False, repr=False)
    """The `expect` mapping as read: `--update` edits it in place."""


@dataclass(frozen=True, slots=True)
class Run:
    index: int
    name: str
    given: Mapping[str, Any]
    """Plain data (dicts, lists, scalars) per given kind, plus `fail`."""
    fail: str | None
    expect: Expect
    line: int


@dataclass(frozen=True, slots=True)
class Case:
    path: Path
    connector: str
    description: str
    secrets: Mapping[str, str]
    tables: Mapping[str, Mapping[str, str]]
    """Declared column types (DuckDB type names) per table, for sql_pull."""
    runs: tuple[Run, ...]
    document: CommentedMap = field(compare=False, repr=False)
    """The whole file as read (round trip), for `--update`."""

    @property
    def name(self) -> str:
        return f"{self.connector}/{self.path.stem}"


def yaml_round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the user wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (timestamps and numbers stay typed)."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, node: Any, key: str | int | None, message: str) -> CaseError:
        line, column = 1, 1
        lc = getattr(node, "lc", None)
        if lc is not None:
            try:
                line, column = lc.key(key) if isinstance(node, CommentedMap) and key is not None else (lc.line, lc.col)
            except (KeyError, TypeError):
                line, column = lc.line, lc.col
            if isinstance(node, CommentedSeq) and isinstance(key, int):
                line, column = lc.item(key)
            line, column = line + 1, column + 1
        return CaseError(self.path, line, column, message)

    def mapping(self, parent: Any, key: str | int | None, node: Any, what: str, allowed: Sequence[str]) -> CommentedMap:
        if not isinstance(node, CommentedMap):
            raise self.error(parent, key, f"{what} must be a mapping")
        for name in node:
            if str(name) not in allowed:
                raise self.error(node, name, f"unknown key {name!r} in {what}; expected one of: {', '.join(allowed)}")
        return node

    def strings(self, parent: CommentedMap, key: str, what: str) -> list[str]:
        node = parent[key]
        if not isinstance(node, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in node):
            raise self.error(parent, key, f"{what} must be a list of document ids")
        return [str(v) for v in node]

    def text(self, parent: CommentedMap, key: str, what: str) -> str:
        value = parent[key]
        if not isinstance(value, str):
            raise self.error(parent, key, f"{what} must be a string")
        return str(value)


def load_case(path: Path) -> Case:
    try:
        document = yaml_round_trip().load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise CaseError(path, line, column, f"not valid YAML: {error.problem}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError(path, 1, 1, f"cannot be read: {error}") from None
    reader = _Reader(path)
    top = reader.mapping(None, None, document, "a case file", ("connector", "description", "secrets", "tables", "runs"))
    if "connector" not in top:
        raise reader.error(top, None, "a case needs `connector:` (the connector's metadata.name)")
    if "runs" not in top:
        raise reader.error(top, None, "a case needs `runs:`, a list of runs with `given` and `expect`")
    secrets = top.get("secrets") or CommentedMap()
    if not isinstance(secrets, CommentedMap) or not all(isinstance(v, str) for v in secrets.values()):
        raise reader.error(top, "secrets", "`secrets` maps each secret name to a stub value (a string)")
    tables = _tables(reader, top)
    runs_node = top["runs"]
    if not isinstance(runs_node, CommentedSeq) or not runs_node:
        raise reader.error(top, "runs", "`runs` must be a non-empty list of runs")
    runs = tuple(_run(reader, runs_node, i) for i in range(len(runs_node)))
    return Case(
        path=path,
        connector=reader.text(top, "connector", "`connector`"),
        description=str(top.get("description") or ""),
        secrets={str(k): str(v) for k, v in secrets.items()},
        tables=tables,
        runs=runs,
        document=top,
    )


def _tables(reader: _Reader, top: CommentedMap) -> dict[str, dict[str, str]]:
    node = top.get("tables")
    if node is None:
        return {}
    if not isinstance(node, CommentedMap):
        raise reader.error(top, "tables", "`tables` maps each table to its column types (column: DuckDB type)")
    tables: dict[str, dict[str, str]] = {}
    for table, columns in node.items():
        if not isinstance(columns, CommentedMap) or not all(isinstance(t, str) for t in columns.values()):
            raise reader.error(node, table, f"table {table!r}: map each column to a DuckDB type, e.g. `id: INTEGER`")
        tables[str(table)] = {str(c): str(t) for c, t in columns.items()}
    return tables


def _run(reader: _Reader, runs: CommentedSeq, index: int) -> Run:
    what = f"run {index + 1}"
    node = reader.mapping(runs, index, runs[index], what, ("name", "given", "expect"))
    given = reader.mapping(node, "given", node.get("given", CommentedMap()), f"{what}: `given`", (*GIVEN_KINDS, "fail"))
    kinds = [k for k in GIVEN_KINDS if k in given]
    if len(kinds) > 1:
        raise reader.error(given, kinds[1], f"{what}: `given` has {' and '.join(kinds)}; a run gives one kind")
    fail = reader.text(given, "fail", f"{what}: `given.fail`") if "fail" in given else None
    if "expect" not in node:
        raise reader.error(node, None, f"{what} has no `expect`; say what the run must produce")
    expect = _expect(reader, node, what)
    line = runs.lc.item(index)[0] + 1
    name = str(node.get("name") or f"run {index + 1}")
    return Run(index, name, {str(k): plain(v) for k, v in given.items() if k != "fail"}, fail, expect, line)


def _expect(reader: _Reader, run: CommentedMap, what: str) -> Expect:
    allowed = (*DOCUMENT_KEYS, "fields", "failure")
    node = reader.mapping(run, "expect", run["expect"], f"{what}: `expect`", allowed)
    if not node:
        raise reader.error(run, "expect", f"{what}: `expect` is empty; list upserted/deleted/softDeleted/watermark")
    compare = node.get("fields", "exact")
    if compare not in ("exact", "subset"):
        raise reader.error(node, "fields", f"{what}: `fields` is `exact` (the default) or `subset`")
    failure = reader.text(node, "failure", f"{what}: `expect.failure`") if "failure" in node else None
    if failure is not None and (clash := [k for k in DOCUMENT_KEYS if k in node]):
        raise reader.error(node, clash[0], f"{what}: a run that must fail produces nothing; drop `{clash[0]}`")
    upserted = None
    if "upserted" in node:
        upserted = _documents(reader, node, what)
    return Expect(
        upserted=upserted,
        deleted=reader.strings(node, "deleted", f"{what}: `deleted`") if "deleted" in node else None,
        soft_deleted=reader.strings(node, "softDeleted", f"{what}: `softDeleted`") if "softDeleted" in node else None,
        watermark=plain(node.get("watermark")),
        has_watermark="watermark" in node,
        compare="subset" if compare == "subset" else "exact",
        failure=failure,
        node=node,
    )


DOCUMENT_FIELDS = ("id", "title", "content", "uri", "mimeType", "aclUsers", "aclGroups", "metadata")


def _documents(reader: _Reader, expect: CommentedMap, what: str) -> list[dict[str, Any]]:
    node = expect["upserted"]
    if not isinstance(node, CommentedSeq):
        raise reader.error(expect, "upserted", f"{what}: `upserted` must be a list of documents")
    documents: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(node):
        doc = reader.mapping(node, i, item, f"{what}: upserted document {i + 1}", DOCUMENT_FIELDS)
        if "id" not in doc:
            raise reader.error(node, i, f"{what}: upserted document {i + 1} has no `id`")
        doc_id = str(doc["id"])
        if doc_id in seen:
            raise reader.error(doc, "id", f"{what}: document {doc_id!r} is listed twice")
        seen.add(doc_id)
        documents.append({**plain(doc), "id": doc_id})
    return documents


def find_cases(paths: Sequence[Path], root: Path) -> list[Path]:
    """Case files under `paths` (case files or folders); default: every case under `tests/connectors/`."""
    found: list[Path] = []
    for path in paths or [root / "tests" / "connectors"]:
        if path.is_dir():
            found.extend(p for glob in CASE_GLOBS for p in path.rglob(glob) if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"{path}: no such case file or folder")
    return sorted(set(found))
