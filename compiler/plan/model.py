"""The execution plan: frozen, typed classes that mirror `plan.schema.json`.

A plan is everything the runtime needs to run one connector, decided once at compile time. Field names are
snake_case here and camelCase in `plan.json`; `compiler.plan.codec` converts between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FORMAT_VERSION = 1
"""Bumped on any change a runtime of the previous version could misread."""

Mode = Literal["sql_pull", "rest_pull", "rest_push", "file_pull"]
SqlProvider = Literal["postgres", "mysql", "mssql", "oracle", "duckdb", "sqlite"]
ExtractionKind = Literal["snapshot", "incremental"]
DeletePolicy = Literal["auto_delete_missing", "soft_delete_only", "never_delete"]
TemplateKind = Literal["fields", "jinja"]


@dataclass(frozen=True, slots=True)
class InputFile:
    """A connector file the plan was compiled from, bound by content hash."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Secret:
    """Where a secret comes from. Never its value."""

    name: str
    env: str


@dataclass(frozen=True, slots=True)
class SqlSource:
    """A SQL extraction: statements already in the provider's dialect."""

    kind: Literal["sql"]
    provider: SqlProvider
    driver: str
    dialect: str
    secret: Secret
    snapshot_statement: str
    incremental_statement: str | None
    columns: tuple[str, ...] | None
    batch_size: int


@dataclass(frozen=True, slots=True)
class Retry:
    """Retry policy for transient HTTP failures (jittered exponential backoff)."""

    attempts: int
    initial_backoff_seconds: float
    max_backoff_seconds: float
    statuses: tuple[int, ...]
    honour_retry_after: bool


@dataclass(frozen=True, slots=True)
class NoPagination:
    """One request, one page."""

    strategy: Literal["none"]


@dataclass(frozen=True, slots=True)
class CursorPagination:
    """Send `?<cursor_param>=<cursor>` taken from `next_cursor_path` of the previous response; stop when absent."""

    strategy: Literal["cursor"]
    cursor_param: str
    next_cursor_path: str


@dataclass(frozen=True, slots=True)
class NextLinkPagination:
    """Request the URL found at `next_link_path` of the previous response; stop when absent."""

    strategy: Literal["next_link"]
    next_link_path: str


@dataclass(frozen=True, slots=True)
class LinkHeaderPagination:
    """Request the `Link: <url>; rel="next"` target of the previous response; stop when there is none."""

    strategy: Literal["link_header"]


@dataclass(frozen=True, slots=True)
class PageNumberPagination:
    """Send `?<page_param>=start_page, start_page + 1, ...`; stop at an empty or short page or the total."""

    strategy: Literal["page_number"]
    page_param: str
    start_page: int
    page_size_param: str | None
    page_size: int | None
    total_path: str | None
    concurrency: int


@dataclass(frozen=True, slots=True)
class OffsetPagination:
    """Send `?<offset_param>=0, page_size, ...&<limit_param>=page_size`; stop at an empty or short page or the total."""

    strategy: Literal["offset"]
    offset_param: str
    limit_param: str
    page_size: int
    total_path: str | None
    concurrency: int


Pagination = (
    NoPagination
    | CursorPagination
    | NextLinkPagination
    | LinkHeaderPagination
    | PageNumberPagination
    | OffsetPagination
)
"""How to reach the next page, one class per style (`strategy` is the discriminator)."""


@dataclass(frozen=True, slots=True)
class OAuth:
    """OAuth2 client-credentials settings; the client secret is a Secret, not a value."""

    token_url: str
    client_id: str
    client_secret: Secret
    scopes: tuple[str, ...]
    audience: str | None
    client_auth_method: Literal["client_secret_post", "client_secret_basic"]


@dataclass(frozen=True, slots=True)
class HttpSource:
    """A REST pull: one request template, paginated."""

    kind: Literal["http"]
    method: Literal["GET", "POST"]
    url: str
    headers: tuple[tuple[str, str], ...]
    body_json: str | None
    auth: Literal["bearer", "oauth2_client_credentials"]
    secret: Secret
    oauth: OAuth | None
    records_path: str | None
    watermark_param: str | None
    watermark_body_field: str | None
    pagination: Pagination
    page_cap: int
    retry: Retry
    connect_timeout_seconds: float
    read_timeout_seconds: float
    run_timeout_seconds: float


@dataclass(frozen=True, slots=True)
class PushSource:
    """A push receiver: pushers authenticate with the secret as a bearer token."""

    kind: Literal["push"]
    secret: Secret


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """How CSV files are read: DuckDB's `read_csv` with exactly these options (RFC 4180 quoting)."""

    delimiter: str
    quote: str
    escape: str
    has_header: bool
    encoding: Literal["utf-8", "utf-16", "latin-1"]
    normalize_headers: bool
    clean_errors: bool


@dataclass(frozen=True, slots=True)
class FileSource:
    """The files of one folder (`file_pull`). The set of files matching `glob` is the snapshot."""

    kind: Literal["file"]
    storage: Literal["local", "gcs"]
    folder: str
    """`gs://bucket/prefix`, an absolute path, or (when `relative_to_source_root`) a path under the source root."""
    relative_to_source_root: bool
    glob: str
    format: Literal["csv", "ndjson", "parquet"] | None
    """How rows are read; None: whole files, not parsed."""
    document_mode: Literal["row", "file"]
    content: Literal["file", "mapping"]
    """A whole-file document's content: the file itself (`file`), or the mapping's template (`mapping`)."""
    csv: CsvOptions | None
    document_types: tuple[tuple[str, str], ...]
    """(extension, mime type) of the files that may be sent as content (when `content` is `file`)."""
    inline_limit_bytes: int
    """Largest content sent inline; a larger file in a bucket is sent by its `gs://` uri."""


Source = SqlSource | HttpSource | PushSource | FileSource


@dataclass(frozen=True, slots=True)
class Extraction:
    """Snapshot or incremental, why, and the checkpoint column."""

    kind: ExtractionKind
    reason: str
    watermark_field: str | None
    watermark_initial: str | int | None


@dataclass(frozen=True, slots=True)
class Template:
    """A pre-parsed template.

    `fields` templates are literal text and plain `{{ field }}` substitutions, listed in `parts` as
    `("text", "...")` or `("field", "name")`; the runtime may evaluate them as a vectorised string concat.
    `jinja` templates need the sandboxed Jinja engine and run per record.
    """

    source: str
    kind: TemplateKind
    parts: tuple[tuple[Literal["text", "field"], str], ...]
    variables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentIdRule:
    """Document ids: at most `max_length` of [A-Za-z0-9_-]; others fall back to prefix + hash."""

    field: str
    max_length: int
    allowed_pattern: str
    fallback_prefix_length: int
    fallback_hash: Literal["sha256"]
    fallback_hash_chars: int


@dataclass(frozen=True, slots=True)
class Mapping:
    """How a record becomes a Discovery Engine document."""

    id: DocumentIdRule
    title_field: str | None
    content: Template | None
    uri: Template | None
    mime_type: str
    acl_users_field: str | None
    acl_groups_field: str | None
    metadata_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeleteGuard:
    """Refuse a run that deletes more than either limit, unless the population is under the floor."""

    max_delete_percent: float
    max_delete_count: int
    min_population: int


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The delete policy and its safety rails."""

    delete_policy: DeletePolicy
    delete_guard: DeleteGuard
    soft_delete_flag_field: str
    soft_delete_time_field: str


@dataclass(frozen=True, slots=True)
class Output:
    """Where run artifacts go: `{base_uri}/runs/{run_id}/{upserts,deletes}.ndjson` and `manifest.json`."""

    bucket: str
    prefix: str
    format: Literal["ndjson", "csv"]
    """`ndjson`: documents. `csv`: a bucket-only export of a sql_pull query's rows as one `rows.csv` (ingestion
    disabled; no documents)."""
    base_uri: str
    publish_latest_alias: bool = False
    """Also publish each committed run's files under `{base_uri}/latest/` (overwritten by every run)."""


@dataclass(frozen=True, slots=True)
class Target:
    """The Discovery Engine data store and the API host for its location."""

    project_id: str
    location: Literal["global", "us", "eu"]
    data_store_id: str
    endpoint: str
    data_store: str
    branch: str


@dataclass(frozen=True, slots=True)
class Plan:
    """One connector's execution plan. `plan_hash` covers every other field."""

    format_version: int
    compiler_version: str
    name: str
    mode: Mode
    schedule: str | None
    inputs: tuple[InputFile, ...]
    source: Source
    extraction: Extraction
    mapping: Mapping
    reconciliation: Reconciliation
    output: Output
    target: Target | None
    """None only when ingestion is disabled and the connector names no data store."""
    plan_hash: str
    secrets: tuple[Secret, ...] = ()
    """Every secret the run needs, sorted by name: resolve all of them (failing fast) before extracting. A push
    plan's token is `runtime serve`'s (it authenticates pushers); the drain needs none."""
    ingestion_enabled: bool = True
    """False (`spec.ingestion.enabled: false`): write the run's artifacts, import nothing."""
