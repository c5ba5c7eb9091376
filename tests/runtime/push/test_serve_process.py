"""`runtime serve` as a process: another HTTP client (curl), SIGTERM, SIGKILL and restart, a bounded load."""

from __future__ import annotations

import collections
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.runtime.push.pushplans import TOKENS, auth, push_plan, queued, upsert
from tests.runtime.push.serverproc import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path, push_plan())
    yield process
    process.stop()


def test_curl_pushes_json_and_ndjson(server: ServerProcess, tmp_path: Path) -> None:
    curl = shutil.which("curl")
    assert curl is not None, "curl is needed: the receiver must work with an HTTP client other than ours"
    body = tmp_path / "events.ndjson"
    body.write_bytes(orjson.dumps(upsert("T-1")) + b"\n" + orjson.dumps({"op": "DELETE", "id": "T-0"}) + b"\n")

    def run(*args: str) -> tuple[int, dict[str, object]]:
        result = subprocess.run(
            [
                curl,
                "--silent",
                "--show-error",
                "--write-out",
                "\n%{http_code}",
                "-X",
                "POST",
                server.url,
                "-H",
                f"Authorization: Bearer {TOKENS['tickets']}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        text, _, code = result.stdout.rpartition("\n")
        return int(code), orjson.loads(text)

    code, answer = run(
        "-H", "Idempotency-Key: curl-1", "-H", "Content-Type: application/x-ndjson", "--data-binary", f"@{body}"
    )
    assert (code, answer["accepted"], answer["rejected"]) == (202, 2, 0)
    code, answer = run(
        "-H",
        "Idempotency-Key: curl-2",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        orjson.dumps({"events": [upsert("T-2")]}).decode(),
    )
    assert (code, answer["accepted"]) == (202, 1)
    code, answer = run("-H", "Content-Type: application/json", "--data-binary", "[]")
    assert code == 400
    assert "Idempotency-Key" in str(answer["error"])
    assert [(op, rid) for _, op, rid, _ in queued(server.state_dir)] == [
        ("UPSERT", "T-1"),
        ("DELETE", "T-0"),
        ("UPSERT", "T-2"),
    ]


def test_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_0(server: ServerProcess) -> None:
    body = orjson.dumps([upsert("T-late")])
    head = (
        f"POST /v1/connectors/tickets/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKENS['tickets']}\r\n"
        f"Idempotency-Key: late\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + body[:10])  # the request is in flight: headers and part of the body
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        refused = False
        deadline = time.monotonic() + 20
        while not refused and time.monotonic() < deadline:  # the listening socket closes once the signal is handled
            try:
                httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=1)
                time.sleep(0.05)
            except httpx.TransportError:
                refused = True
        assert refused, "the server still accepted new connections after SIGTERM"
        assert server.process.poll() is None  # still finishing the request in flight
        sock.sendall(body[10:])
        response = sock.recv(65536).decode()
    assert response.startswith("HTTP/1.1 202")
    assert server.process.wait(timeout=30) == 0
    assert "every acknowledged event is in its queue" in server.rest_of_stderr()
    assert [rid for _, _, rid, _ in queued(server.state_dir)] == ["T-late"]


def _client_loop(
    url: str, client_id: int, requests: int, batch: int, acked: dict[str, list[str]], stop: threading.Event
) -> None:
    with httpx.Client(timeout=10) as client:
        for number in range(requests):
            if stop.is_set():
                return
            key = f"c{client_id}-r{number}"
            ids = [f"{key}-e{i}" for i in range(batch)]
            try:
                response = client.post(
                    url, content=orjson.dumps([upsert(i) for i in ids]), headers={**auth(), "Idempotency-Key": key}
                )
            except httpx.TransportError:
                return  # the server died: this request may or may not have been queued, but was not acknowledged
            if response.status_code == 202:
                acked[key] = ids


def test_sigkill_right_after_acknowledgements_loses_nothing_and_retries_duplicate_nothing(tmp_path: Path) -> None:
    plan = push_plan()
    server = ServerProcess(tmp_path, plan)
    acked: dict[str, list[str]] = {}
    stop = threading.Event()
    clients = [threading.Thread(target=_client_loop, args=(server.url, c, 400, 20, acked, stop)) for c in range(4)]
    for thread in clients:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    server.process.kill()  # SIGKILL while the clients are still sending: no shutdown of any kind
    server.process.wait()
    stop.set()
    for thread in clients:
        thread.join()
    server.stop()
    assert len(acked) >= 40
    before = collections.Counter(rid for _, _, rid, _ in queued(server.state_dir))
    for ids in acked.values():
        assert all(before[i] == 1 for i in ids), "an acknowledged event is missing or duplicated after SIGKILL"
    # The restarted server answers a retry of every request (acknowledged or not) without queueing any twice.
    restarted = ServerProcess(tmp_path, plan)
    try:
        with httpx.Client(timeout=10) as client:
            for client_id in range(4):
                for number in range(60):
                    key = f"c{client_id}-r{number}"
                    ids = [f"{key}-e{i}" for i in range(20)]
                    response = client.post(
                        restarted.url,
                        content=orjson.dumps([upsert(i) for i in ids]),
                        headers={**auth(), "Idempotency-Key": key},
                    )
                    assert response.status_code == 202
                    assert (response.headers.get("idempotent-replayed") == "true") == (
                        key in acked or key in _keys(before)
                    )
    finally:
        restarted.stop()
    after = collections.Counter(rid for _, _, rid, _ in queued(restarted.state_dir))
    assert set(after.values()) == {1}
    for ids in acked.values():
        assert all(after[i] == 1 for i in ids)


def _keys(counter: collections.Counter[str]) -> set[str]:
    return {rid.rsplit("-e", 1)[0] for rid in counter}


def test_bounded_load_from_concurrent_clients_loses_and_duplicates_nothing(server: ServerProcess) -> None:
    clients, requests, batch = 4, 50, 50
    acked: dict[str, list[str]] = {}
    threads = [
        threading.Thread(target=_client_loop, args=(server.url, c, requests, batch, acked, threading.Event()))
        for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acked) == clients * requests
    rows = queued(server.state_dir)
    ids = [rid for _, _, rid, _ in rows]
    assert len(ids) == len(set(ids)) == clients * requests * batch
    assert set(ids) == {i for batch_ids in acked.values() for i in batch_ids}
    for client_id in range(clients):  # each client's events are queued in the order it sent them
        mine = [i for i in ids if i.startswith(f"c{client_id}-")]
        assert mine == [f"c{client_id}-r{r}-e{e}" for r in range(requests) for e in range(batch)]
