"""`file_pull` cases: `given.files` is written into a fresh folder per run, and the real file pull reads it.

`files` maps a path relative to the connector's folder to the file's text, or to `{file: fixture}` (a file beside
the case, copied byte for byte: Parquet, PDF, a CSV in another encoding). Text is written in the connector's CSV
encoding (`spec.source.csv.encoding`) for CSV sources, else UTF-8, exactly as given (no newline added). The run's
folder (`HarnessRun.workdir`) holds only the files the run gives: a file a run leaves out is gone from the folder.

Everything after that is the runtime's own (`runtime.sources.files`): the glob (names directly inside the folder,
so a given `sub/x.csv` is written but never matched, as in production), CSV/NDJSON/Parquet rows, whole-file
documents, the catalogue that carries unchanged files, and the reader errors of a malformed file.

The plan itself is not changed. The pull gets a `HarnessFolder` instead of the plan's folder (the `folder` seam of
`open_file_pull`), a local folder that names its files as the plan's folder would: `file_path` (in records, ids
and the catalogue) is `examples/hr-files/a.csv` or `gs://bucket/prefix/a.csv`, the same value production
produces, and the reader fingerprint (a hash of the plan's source) is the same on every run. Pointing the plan's
source at the run folder instead (`dataclasses.replace`) would put a temporary path into `file_path` and change
the fingerprint on every run, so no file could ever be carried. A `gs://` folder in the connector is served from
the local folder too: listed with the local rules, hashed with XXH3 rather than the object's MD5/CRC32C, and a
file over the inline limit is sent by its `gs://` uri as a bucket object would be.

Modification times are deterministic, so a file unchanged between runs is carried like an untouched file in
production: a file's mtime is 2024-01-01T00:00:00Z plus one hour per run index of the run that gave its current
bytes (the earliest of the consecutive runs giving that path the same bytes). An edited file gets the edit's
run time; a file removed and given again counts as rewritten. (Touching a file without changing its bytes is
not expressible: such a file is re-read, and its documents, having the same hash, are not sent.)

`given.fail`: the real pull runs over the given files, every batch reaches staging, and then the pull raises a
`SourceError` before its outcome, as the file pull itself does when a file changed while it was read. So the
run fails after a partial extraction: nothing is deleted, no watermark or catalogue is committed. A file that
cannot be parsed needs no `fail`: give it (e.g. a CSV row with an unterminated quote) and the real reader error
fails the run (`expect.failure` matches its message).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from compiler.plan import FileSource, Plan
from runtime.errors import ConfigError
from runtime.harness.case import Case, Run
from runtime.harness.given.base import FailingPull, HarnessRun, Prepared
from runtime.sources.base import Pull, PullContext
from runtime.sources.files import open_file_pull
from runtime.sources.files.folder import FileEntry, LocalFolder

MTIME_BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
MTIME_STEP = dt.timedelta(hours=1)
OTHER_KINDS = ("tables", "pages", "records", "pushes")


class HarnessFolder(LocalFolder):
    """The run's folder on disk, naming its files as the plan's folder (local or `gs://`) would."""

    def __init__(self, base: Path, source: FileSource) -> None:
        super().__init__(base, source.folder, source.glob)
        self.gcs = source.storage == "gcs"

    def content_uri(self, entry: FileEntry) -> str | None:
        return entry.path if self.gcs else None


def _relative(name: str, where: str) -> str:
    """`name` as a clean relative path inside the folder."""
    path = PurePosixPath(name)
    if not name or "\\" in name or path.is_absolute() or ".." in path.parts or name != posixpath.normpath(name):
        raise ConfigError(
            f"{where}: file {name!r} must be a plain relative path inside the connector's folder (like"
            " `employees.csv` or `2024/employees.csv`; no `..`, no leading `/`)"
        )
    return name


def _encoding(source: FileSource) -> str:
    return source.csv.encoding if source.format == "csv" and source.csv is not None else "utf-8"


def given_files(case: Case, run: Run, source: FileSource) -> dict[str, bytes]:
    """The bytes of each file `run` gives, by relative path."""
    where = f"{case.path}: run {run.index + 1}: `given.files`"
    node = run.given.get("files")
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise ConfigError(f"{where} maps each file's path to its text or to {{file: fixture}}")
    files: dict[str, bytes] = {}
    for name, value in node.items():
        path = _relative(str(name), where)
        files[path] = _content(case, path, value, source, f"{where}: file {path!r}")
    return files


def _content(case: Case, path: str, value: Any, source: FileSource, where: str) -> bytes:
    if isinstance(value, str):
        encoding = _encoding(source)
        try:
            return value.encode(encoding)
        except UnicodeEncodeError as error:
            raise ConfigError(
                f"{where}: the text cannot be written in {encoding} (the connector's encoding): {error.reason} at"
                f" character {error.start}; give the file as {{file: fixture}} instead"
            ) from None
    if isinstance(value, Mapping) and set(value) == {"file"} and isinstance(value["file"], str):
        fixture = (case.path.parent / value["file"]).resolve()
        try:
            return fixture.read_bytes()
        except OSError as error:
            raise ConfigError(
                f"{where}: cannot read fixture {fixture}: {error.strerror or error}; paths are relative to the case"
                " file"
            ) from None
    raise ConfigError(f"{where}: give the file's text (a string) or {{file: fixture}} (a file beside the case)")


def mtimes(given: list[dict[str, bytes]]) -> dict[str, int]:
    """Each file of the last run's `given` (one mapping per run so far): its modification time (ns), the time of
    the earliest run of the unbroken line of earlier runs that gave the path the same bytes."""
    times: dict[str, int] = {}
    for path, data in given[-1].items():
        index = len(given) - 1
        while index > 0 and given[index - 1].get(path) == data:
            index -= 1
        moment = MTIME_BASE + MTIME_STEP * index
        times[path] = int(moment.timestamp()) * 1_000_000_000
    return times


def write_files(case: Case, run: Run, source: FileSource, folder: Path) -> None:
    given = [given_files(case, earlier, source) for earlier in case.runs[: run.index + 1]]  # each read once
    times = mtimes(given)
    for name, data in given[-1].items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(times[name], times[name]))


def prepare_files(plan: Plan, source: FileSource, case: Case, run: Run, harness: HarnessRun) -> Prepared:
    where = f"{case.path}: run {run.index + 1}"
    if given := [kind for kind in OTHER_KINDS if kind in run.given]:
        raise ConfigError(f"{where}: a file_pull run gives `files`, not {', '.join(given)}")
    write_files(case, run, source, harness.workdir)
    folder = HarnessFolder(harness.workdir, source)
    fail = run.fail

    def open_pull(context: PullContext) -> Pull:
        pull = open_file_pull(context, source, folder)
        return pull if fail is None else FailingPull(pull, "the source failed after the given files were read", fail)

    return Prepared(plan=plan, open_pull=open_pull)
