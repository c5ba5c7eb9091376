"""The receiver over real HTTP (uvicorn on a free port): auth, idempotency, bodies, limits, partial rejection."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from runtime.push.app import PushReceiver
from runtime.push.limits import Limits
from tests.runtime.push.pushplans import auth, push_plan, queued, receiver, upsert

URL = "/v1/connectors/tickets/events"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, PushReceiver]]:
    with receiver(tmp_path) as pair:
        yield pair


def push(client: httpx.Client, body: Any, key: str = "k-1", url: str = URL, **headers: str) -> httpx.Response:
    return client.post(url, content=orjson.dumps(body), headers={**auth(), "Idempotency-Key": key, **headers})


# --- authentication -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer wrong-token", "Basic dGlja2V0czp4", "tickets-secret-token-1"]
)
def test_no_token_or_an_unknown_one_is_401(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path, authorization: str | None
) -> None:
    client, _ = served
    headers = {"Idempotency-Key": "k"} | ({"Authorization": authorization} if authorization else {})
    response = client.post(URL, content=b"[]", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "bearer token" in response.json()["error"]
    assert queued(tmp_path) == []


def test_a_valid_token_of_another_connector_is_403(served: tuple[httpx.Client, PushReceiver], tmp_path: Path) -> None:
    client, _ = served
    response = client.post(
        URL, content=orjson.dumps([upsert("T-1")]), headers={**auth("other"), "Idempotency-Key": "k"}
    )
    assert response.status_code == 403
    assert "not valid for connector 'tickets'" in response.json()["error"]
    assert queued(tmp_path) == []
    assert queued(tmp_path, "other") == []


def test_an_unknown_connector_is_404_only_after_authentication(served: tuple[httpx.Client, PushReceiver]) -> None:
    client, _ = served
    assert push(client, [upsert("T")], url="/v1/connectors/nope/events").status_code == 404
    anonymous = client.post("/v1/connectors/nope/events", content=b"[]", headers={"Idempotency-Key": "k"})
    assert anonymous.status_code == 401  # no probing for connector names without a token


# --- idempotency ----------------------------------------------------------------------------------------


def test_the_idempotency_key_is_required(served: tuple[httpx.Client, PushReceiver]) -> None:
    client, _ = served
    response = client.post(URL, content=orjson.dumps([upsert("T")]), headers=auth())
    assert response.status_code == 400
    assert "Idempotency-Key header is required" in response.json()["error"]
    assert push(client, [upsert("T")], key="has space").status_code == 400


def test_same_key_and_body_replays_the_first_answer_and_queues_once(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path
) -> None:
    client, app = served
    body = [upsert("T-1"), {"op": "UPSERT", "record": {}}]
    first = push(client, body)
    again = push(client, body)
    assert first.status_code == again.status_code == 202
    assert first.content == again.content
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert [(op, rid) for _, op, rid, _ in queued(tmp_path)] == [("UPSERT", "T-1")]
    assert app.metrics.accepted.labels("tickets")._value.get() == 1


def test_same_key_with_another_body_is_409_and_queues_nothing(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path
) -> None:
    client, _ = served
    assert push(client, [upsert("T-1")]).status_code == 202
    conflict = push(client, [upsert("T-2")])
    assert conflict.status_code == 409
    assert "already used with a different body" in conflict.json()["error"]
    assert [rid for _, _, rid, _ in queued(tmp_path)] == ["T-1"]


def test_keys_are_scoped_per_connector(served: tuple[httpx.Client, PushReceiver], tmp_path: Path) -> None:
    client, _ = served
    assert push(client, [upsert("T-1")], key="shared").status_code == 202
    other = client.post(
        "/v1/connectors/other/events",
        content=orjson.dumps([upsert("O-1")]),
        headers={**auth("other"), "Idempotency-Key": "shared"},
    )
    assert other.status_code == 202
    assert other.json()["accepted"] == 1
    assert [rid for _, _, rid, _ in queued(tmp_path, "other")] == ["O-1"]


def _race(client: httpx.Client, bodies: list[Any], key: str) -> list[httpx.Response]:
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | None] = [None] * len(bodies)

    def send(index: int) -> None:
        barrier.wait()
        results[index] = push(client, bodies[index], key=key)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_concurrent_duplicates_queue_once_and_never_fail(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path
) -> None:
    client, _ = served
    body = [upsert(f"T-{i}") for i in range(20)]
    responses = _race(client, [body] * 8, key="dup")
    assert [r.status_code for r in responses] == [202] * 8
    assert len({r.content for r in responses}) == 1
    assert [rid for _, _, rid, _ in queued(tmp_path)] == [f"T-{i}" for i in range(20)]
    different = _race(client, [[upsert(f"D-{i}")] for i in range(8)], key="dup-2")
    assert sorted(r.status_code for r in different) == [202] + [409] * 7
    assert len(queued(tmp_path)) == 21


# --- bodies and partial rejection -----------------------------------------------------------------------


def test_valid_events_are_kept_and_invalid_ones_rejected_with_their_index(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path
) -> None:
    client, app = served
    body = {"events": [upsert("T-1"), upsert(None), {"op": "DELETE", "id": "T-9"}, "x", upsert("T-2")]}
    response = push(client, body)
    assert response.status_code == 202
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (3, 2)
    assert [e["index"] for e in answer["errors"]] == [1, 3]
    assert "the id field 'ticket_id' is missing" in answer["errors"][0]["reason"]
    assert [(op, rid) for _, op, rid, _ in queued(tmp_path)] == [
        ("UPSERT", "T-1"),
        ("DELETE", "T-9"),
        ("UPSERT", "T-2"),
    ]
    assert app.metrics.rejected.labels("tickets")._value.get() == 2


def test_a_batch_with_no_valid_event_is_422_and_queues_nothing(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path
) -> None:
    client, _ = served
    response = push(client, [upsert(None)])
    assert response.status_code == 422
    assert response.json()["accepted"] == 0
    assert queued(tmp_path) == []


def test_ndjson_bodies_reject_an_unreadable_line_alone(
    served: tuple[httpx.Client, PushReceiver], tmp_path: Path
) -> None:
    client, _ = served
    lines = orjson.dumps(upsert("T-1")) + b"\n{oops\n\n" + orjson.dumps(upsert("T-2")) + b"\n"
    response = client.post(
        URL, content=lines, headers={**auth(), "Idempotency-Key": "nd", "Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 202
    assert response.json()["errors"][0]["index"] == 1
    assert "line 2 is not valid JSON" in response.json()["errors"][0]["reason"]
    assert [rid for _, _, rid, _ in queued(tmp_path)] == ["T-1", "T-2"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "expected"),
    [
        (b"{nope", "application/json", 400, "not valid JSON"),
        (b'{"items": []}', "application/json", 400, '{"events": [...]}'),
        (b"[]", "application/json", 400, "no events"),
        (b'"x"', "application/json", 400, "JSON object with 'events'"),
        (b"[]", "text/csv", 415, "Content-Type 'text/csv' is not accepted"),
    ],
)
def test_unusable_bodies_are_refused_whole(
    served: tuple[httpx.Client, PushReceiver], content: bytes, content_type: str, status: int, expected: str
) -> None:
    client, _ = served
    response = client.post(
        URL, content=content, headers={**auth(), "Idempotency-Key": "b", "Content-Type": content_type}
    )
    assert response.status_code == status
    assert expected in response.json()["error"]


# --- limits ---------------------------------------------------------------------------------------------


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[httpx.Client]:
    limits = Limits(max_body_bytes=4000, max_events=5, max_record_bytes=300, max_depth=4)
    with receiver(tmp_path, [push_plan("tickets")], limits) as (client, _):
        yield client


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ([upsert("T", description="x" * 5000)], 413, "the limit is 4000"),
        ([upsert(f"T-{i}") for i in range(6)], 413, "6 events in one request; the limit is 5"),
        ([upsert("T-1"), upsert("T-2", description="x" * 400)], 413, "event 1: the record is"),
        ([upsert("T-1", deep={"a": {"b": {"c": {"d": 1}}}})], 400, "event 0 is nested deeper than 4 levels"),
    ],
)
def test_limits_refuse_the_whole_request_with_the_reason(
    limited: httpx.Client, tmp_path: Path, body: Any, status: int, expected: str
) -> None:
    response = push(limited, body)
    assert response.status_code == status
    assert expected in response.json()["error"]
    assert queued(tmp_path) == []


def test_a_body_over_the_limit_is_refused_while_streaming(limited: httpx.Client, tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to check up front
        yield b"["
        for _ in range(100):
            yield orjson.dumps(upsert("T")) + b","
        yield b"{}]"

    response = limited.post(URL, content=chunks(), headers={**auth(), "Idempotency-Key": "s"})
    assert response.status_code == 413
    assert "over 4000 bytes" in response.json()["error"]


def test_events_at_the_limits_are_accepted(limited: httpx.Client, tmp_path: Path) -> None:
    response = push(limited, [upsert(f"T-{i}", deep={"a": {"b": 1}}) for i in range(5)])
    assert response.status_code == 202
    assert len(queued(tmp_path)) == 5


# --- health, readiness, metrics, OpenAPI ----------------------------------------------------------------


def test_health_readiness_and_metrics(served: tuple[httpx.Client, PushReceiver]) -> None:
    client, _app = served
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "connectors": ["other", "tickets"]}
    push(client, [upsert("T-1"), upsert(None)])
    push(client, [upsert("T-1")], url="/v1/connectors/other/events")  # 403
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'gemini_sync_push_events_accepted_total{connector="tickets"} 1.0' in text
    assert 'gemini_sync_push_events_rejected_total{connector="tickets"} 1.0' in text
    assert 'gemini_sync_push_queued_events{connector="tickets"} 1.0' in text
    assert 'gemini_sync_push_requests_total{code="403",connector="other"} 1.0' in text
    assert 'gemini_sync_push_request_duration_seconds_count{connector="tickets"} 1.0' in text
    assert client.get("/openapi.json").json()["paths"]["/v1/connectors/{name}/events"]["post"]["operationId"] == (
        "pushEvents"
    )


def test_readiness_turns_503_when_a_queue_stops(served: tuple[httpx.Client, PushReceiver]) -> None:
    client, app = served
    app.connectors["other"].writer.close()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["queues"] == {"other": "stopped"}


def test_a_bug_is_one_line_500_and_queues_nothing(
    served: tuple[httpx.Client, PushReceiver],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    client, app = served

    def broken(event: object) -> None:
        raise TypeError("a bug in a check")

    monkeypatch.setattr(app.connectors["tickets"].door, "check", broken)
    response = push(client, [upsert("T-1")])
    assert response.status_code == 500
    assert response.json()["error"].startswith("internal error: TypeError; nothing of this request was queued")
    assert "Traceback" not in capfd.readouterr().err
    assert queued(tmp_path) == []
