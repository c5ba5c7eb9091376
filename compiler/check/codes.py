"""Every diagnostic code the linter can emit. A code, once published, always means the same thing.

`CODES` is the registry: docs, the TDD guardrail and reporters read it; nothing is discovered by globbing.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.diagnostics import Severity


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str
    protects_data: bool = False
    """The finding guards the data itself (deletes, writes to the source): it cannot be silenced or lowered."""

    @property
    def structural(self) -> bool:
        """Reading and schema codes (GS0xx): semantic rules never ran on such a document, so nothing may hide them."""
        return self.code < "GS100"

    @property
    def silenceable(self) -> bool:
        """Whether a `# gemini-sync: disable=` comment or a per-repository severity may silence or lower it."""
        return not (self.protects_data or self.structural)


_E = Severity.ERROR
_W = Severity.WARNING

CODES: tuple[Code, ...] = (
    # GS0xx: reading the file
    Code("GS001", "yaml-syntax", _E, "The file is not valid YAML."),
    Code("GS002", "encoding", _E, "The file is not UTF-8 text (binary data or another encoding)."),
    Code("GS003", "empty-document", _E, "A document in the file is empty."),
    Code("GS004", "root-not-mapping", _E, "A document's top level is not a mapping of fields."),
    Code("GS005", "duplicate-key", _E, "A mapping repeats a key; YAML would silently keep only one."),
    Code("GS006", "resource-limit", _E, "The file is too large, too deep or expands too many aliases."),
    Code("GS007", "tab-indentation", _E, "A tab character is used for indentation; YAML allows only spaces."),
    Code("GS008", "unsupported-tag", _E, "A YAML tag other than the standard scalar and collection tags."),
    # GS05x: the schema
    Code("GS050", "unknown-field", _E, "A field the connector format does not define."),
    Code("GS051", "missing-field", _E, "A required field is absent or null."),
    Code("GS052", "wrong-type", _E, "A field has the wrong type (e.g. a list where a string belongs)."),
    Code("GS053", "invalid-value", _E, "A field's value is not one of the allowed values."),
    Code("GS054", "invalid-format", _E, "A field's value does not have the required format."),
    Code("GS055", "out-of-range", _E, "A number or length is outside its allowed range."),
    Code("GS056", "field-not-in-mode", _E, "A field belongs to another mode than spec.mode."),
    Code("GS057", "not-available-yet", _E, "A provider that is planned but not built yet."),
    Code("GS058", "schema-violation", _E, "Any other violation of the connector schema."),
    # GS1xx: semantic rules (one module each under compiler/check/rules/)
    Code("GS101", "name-matches-file", _E, "metadata.name must equal the file name stem."),
    Code("GS102", "unique-name", _E, "Two connectors share metadata.name."),
    Code("GS103", "cron-syntax", _E, "spec.schedule is not a valid five-field cron expression."),
    Code("GS104", "secret-env-collision", _E, "Two different secretRefs map to the same SECRET_* variable."),
    Code(
        "GS105",
        "incremental-auto-delete",
        _E,
        "Incremental extraction with auto_delete_missing deletes live data.",
        protects_data=True,
    ),
    Code("GS106", "sql-syntax", _E, "The query does not parse in the provider's SQL dialect."),
    Code("GS107", "sql-read-only-select", _E, "The query is not exactly one read-only SELECT.", protects_data=True),
    Code("GS108", "sql-missing-column", _E, "A field the mapping needs is not among the selected columns."),
    Code("GS109", "sql-select-star", _W, "SELECT * hides the column list, so field checks cannot run."),
    Code("GS110", "template-syntax", _E, "A Jinja template does not parse."),
    Code("GS111", "template-unknown-field", _E, "A template uses a variable that is not a known field."),
    Code("GS112", "sql-bind-parameter", _E, "The query uses a bind parameter other than :watermark."),
    Code(
        "GS113",
        "watermark-field-missing",
        _E,
        "An incremental pull (:watermark or watermarkParam) has no watermarkField.",
    ),
    Code("GS114", "sql-watermark-shape", _E, "`:watermark` is used other than as a lower bound on a column."),
    Code("GS115", "credential-header", _E, "A request header carries credentials; they belong in the secret."),
    Code("GS116", "pagination-incomplete", _E, "Only one of the two cursor pagination fields is set."),
    Code(
        "GS117",
        "sql-watermark-column",
        _E,
        "The column compared with :watermark is not the watermarkField.",
        protects_data=True,
    ),
    Code("GS118", "sql-watermark-float", _W, "The watermark is a floating-point value, which does not round-trip."),
    Code("GS119", "sql-watermark-strict-bound", _W, "`> :watermark` skips rows that share the checkpoint's value."),
    Code("GS120", "sql-duplicate-column", _E, "Two selected columns have the same name; one would be lost."),
    Code(
        "GS121",
        "output-shared",
        _E,
        "Two connectors write their artifacts to the same bucket and prefix.",
        protects_data=True,
    ),
    Code("GS122", "data-store-shared", _W, "Two connectors feed one data store; their document ids can collide."),
    Code("GS123", "template-unbounded", _W, "A template does obviously huge work (loops, sizes) for every record."),
    Code(
        "GS124",
        "watermark-not-sent",
        _W,
        "A rest_pull records watermarkField but never sends it, so each run reads a full snapshot.",
    ),
    Code("GS125", "csv-export", _E, "output.format csv is only for sql_pull with ingestion disabled."),
    Code("GS126", "pagination-style", _E, "The pagination settings do not fit their style (or mix two styles)."),
    Code("GS127", "watermark-request", _E, "The checkpoint's place in the request is ambiguous or impossible."),
    # GS15x: file_pull sources
    Code("GS150", "file-path", _E, "spec.source.path is not a local folder or a gs:// bucket prefix."),
    Code("GS151", "file-glob", _E, "spec.source.glob is not a valid file-name pattern."),
    Code("GS152", "csv-options-format", _E, "CSV options are set for a format other than CSV."),
    Code("GS153", "document-mode-conflict", _E, "documentMode differs between spec.source and spec.source.csv."),
    Code("GS154", "normalize-headers-unused", _W, "normalizeHeaders has no effect with documentMode: file."),
    Code(
        "GS155",
        "file-content-type",
        _E,
        "Whole files are sent as content, and the glob selects a type Discovery Engine does not accept.",
    ),
    Code("GS156", "file-record-field", _E, "The mapping reads a field that whole-file records do not have."),
    Code("GS157", "csv-encoding", _E, "csv.encoding is not an encoding the CSV reader supports."),
    # GS2xx: the linter's own comments and settings
    Code("GS201", "unused-suppression", _W, "A `# gemini-sync: disable=` comment silences nothing."),
)

BY_CODE: dict[str, Code] = {c.code: c for c in CODES}


def lookup(code: str) -> Code:
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f'no such diagnostic code: "{code}"') from None
