"""The published OpenAPI document: valid OpenAPI 3.1 (checked by openapi-spec-validator), equal to what the
server serves, and it describes what the server answers."""

from __future__ import annotations

from pathlib import Path

import orjson
from openapi_spec_validator import validate

from runtime.push.limits import Limits
from runtime.push.openapi import openapi_document, render

PUBLISHED = Path(__file__).resolve().parents[3] / "docs" / "push-openapi.json"


def test_the_document_is_valid_openapi() -> None:
    validate(orjson.loads(render()))


def test_the_published_document_is_current() -> None:
    assert PUBLISHED.read_bytes() == render(), (
        "docs/push-openapi.json is out of date; run: python -m runtime.push.openapi docs/push-openapi.json"
    )


def test_the_document_states_the_limits_the_server_uses() -> None:
    document = openapi_document(Limits(max_events=7))
    body = document["paths"]["/v1/connectors/{name}/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["oneOf"][1]["maxItems"] == 7
    responses = document["paths"]["/v1/connectors/{name}/events"]["post"]["responses"]
    assert set(responses) == {"202", "400", "401", "403", "404", "409", "413", "415", "422", "503"}
