"""Lowering a `file_pull` source: the folder resolved, the format and document mode decided, CSV options explicit.

A relative local path is recorded relative to the source root (the connector's repository), normalised, and
marked so: the runtime joins it to its own source root, never to its working directory, and the plan stays the
same in every clone.
"""

from __future__ import annotations

from compiler.analysis.extraction import infer_extraction
from compiler.analysis.files import (
    DEFAULT_GLOB,
    DOCUMENT_TYPES,
    INLINE_CONTENT_LIMIT,
    PathProblem,
    document_mode,
    encoding_name,
    file_format,
    parse_folder,
)
from compiler.lower.draft import Draft, LoweringError
from compiler.plan import CsvOptions, Extraction, FileSource

PATH = "/spec/source/path"
ENCODING = "/spec/source/csv/encoding"


def _csv_options(draft: Draft) -> CsvOptions:
    options = draft.spec["source"].get("csv") or {}
    encoding = encoding_name(str(options.get("encoding", "utf-8")))
    if encoding is None:
        raise LoweringError(ENCODING, f"the CSV reader does not support the encoding {options.get('encoding')!r}")
    return CsvOptions(
        delimiter=str(options.get("delimiter", ",")),
        quote='"',
        escape='"',
        has_header=bool(options.get("hasHeader", True)),
        encoding=encoding,
        normalize_headers=bool(options.get("normalizeHeaders", False)),
        clean_errors=bool(options.get("cleanErrors", False)),
    )


def lower_file_source(draft: Draft) -> FileSource:
    source = draft.spec["source"]
    try:
        folder = parse_folder(str(source["path"]))
    except PathProblem as problem:
        raise LoweringError(PATH, f"{problem.message}; {problem.fix}") from None
    fmt = file_format(source)
    mode = document_mode(source)
    whole_file = mode == "file" and "contentTemplate" not in draft.spec["mapping"]
    return FileSource(
        kind="file",
        storage=folder.storage,
        folder=folder.path,
        relative_to_source_root=folder.relative_to_source_root,
        glob=str(source.get("glob", DEFAULT_GLOB)),
        format=fmt,
        document_mode=mode,
        content="file" if whole_file else "mapping",
        csv=_csv_options(draft) if fmt == "csv" else None,
        document_types=tuple(sorted(DOCUMENT_TYPES.items())) if whole_file else (),
        inline_limit_bytes=INLINE_CONTENT_LIMIT,
    )


def lower_file_pull(draft: Draft) -> Draft:
    """The source and its extraction: always a snapshot (every run lists the whole folder)."""
    inferred = infer_extraction(draft.spec)
    field = draft.spec["source"].get("watermarkField")
    return draft.replace(
        source=lower_file_source(draft),
        extraction=Extraction(
            kind=inferred.kind,
            reason=inferred.reason,
            watermark_field=None if field is None else str(field),
            watermark_initial=None,
        ),
    )
