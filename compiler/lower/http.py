"""HTTP source lowering for `rest_pull`: the request, auth, pagination, retry policy and timeouts.

The per-request timeout (`timeoutSeconds`) and the whole-run one (`runTimeoutSeconds`) have defaults here that the
connector may override; the retry policy is fixed.

Retries follow the Discovery Engine guidance that also fits most APIs: only 429 and 5xx gateway-style statuses
(500, 502, 503, 504) and connection errors, with jittered exponential backoff, honouring `Retry-After`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compiler.analysis.secrets import CREDENTIAL_HEADERS
from compiler.lower.draft import Draft, LoweringError
from compiler.lower.pagination import lower_pagination
from compiler.plan import HttpSource, OAuth, Retry

DEFAULT_METHOD = "GET"
DEFAULT_PAGE_CAP = 10_000
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_RUN_TIMEOUT_SECONDS = 3600.0
CONNECT_TIMEOUT_CAP_SECONDS = 10.0
"""Connecting never needs the full read timeout; a dead host should fail fast."""

RETRY = Retry(
    attempts=5,
    initial_backoff_seconds=1.0,
    max_backoff_seconds=30.0,
    statuses=(429, 500, 502, 503, 504),
    honour_retry_after=True,
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _headers(source: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    headers = source.get("headers") or {}
    for name in headers:
        if str(name).lower() in CREDENTIAL_HEADERS:
            raise LoweringError(
                f"/spec/source/headers/{name}",
                f"header {name!r} carries credentials, which must never be written into a plan; "
                "remove it and put the token in the secret named by secretRef",
            )
    return tuple(sorted((str(k), str(v)) for k, v in headers.items()))


def _oauth(draft: Draft, source: Mapping[str, Any]) -> OAuth | None:
    oauth = source.get("oauth")
    if oauth is None:
        return None
    audience = oauth.get("audience")
    return OAuth(
        token_url=str(oauth["tokenUrl"]),
        client_id=str(oauth["clientId"]),
        client_secret=draft.secret(str(oauth.get("clientSecretRef", source["secretRef"]))),
        scopes=tuple(str(s) for s in oauth.get("scopes", ())),
        audience=None if audience is None else str(audience),
        client_auth_method=oauth.get("clientAuthMethod", "client_secret_post"),
    )


def _check_watermark_request(source: Mapping[str, Any], method: str) -> None:
    """Where the checkpoint goes must be unambiguous (GS127 reports the same with positions)."""
    if "watermarkBodyField" not in source:
        return
    if method != "POST":
        raise LoweringError(
            "/spec/source/watermarkBodyField", "watermarkBodyField needs method POST; a GET request has no body"
        )
    if "watermarkParam" in source:
        raise LoweringError("/spec/source/watermarkBodyField", "set watermarkParam or watermarkBodyField, not both")


def lower_http_source(draft: Draft) -> HttpSource:
    source = draft.spec["source"]
    timeout = float(source.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS))
    payload = source.get("payload")
    oauth = _oauth(draft, source)
    records_path, watermark_param = source.get("recordsPath"), source.get("watermarkParam")
    body_field = source.get("watermarkBodyField")
    method = source.get("method", DEFAULT_METHOD)
    _check_watermark_request(source, method)
    return HttpSource(
        kind="http",
        method=method,
        url=str(source["url"]),
        headers=_headers(source),
        body_json=None if payload is None else canonical_json(payload),
        auth="bearer" if oauth is None else "oauth2_client_credentials",
        secret=draft.secret(str(source["secretRef"])),
        oauth=oauth,
        records_path=None if records_path is None else str(records_path),
        watermark_param=None if watermark_param is None else str(watermark_param),
        watermark_body_field=None if body_field is None else str(body_field),
        pagination=lower_pagination(source),
        page_cap=int(source.get("maxPages", DEFAULT_PAGE_CAP)),
        retry=RETRY,
        connect_timeout_seconds=min(timeout, CONNECT_TIMEOUT_CAP_SECONDS),
        read_timeout_seconds=timeout,
        run_timeout_seconds=float(source.get("runTimeoutSeconds", DEFAULT_RUN_TIMEOUT_SECONDS)),
    )
