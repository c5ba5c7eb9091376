"""Push plans compiled from connector documents, and a receiver wired to temporary queues."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from compiler.lower import lower
from compiler.plan import InputFile, Plan, dumps
from runtime.push.app import PushReceiver, ServedConnector
from runtime.push.auth import Tokens
from runtime.push.door import Door
from runtime.push.limits import Limits
from runtime.push.queue import queue_path
from runtime.push.writer import QueueWriter

INPUT = InputFile(path="connectors/x.yaml", sha256="0" * 64)


def push_plan(
    name: str = "tickets",
    *,
    policy: str = "auto_delete_missing",
    bucket: str = "gs://example-bucket",
    **mapping: Any,
) -> Plan:
    spec_mapping: dict[str, Any] = {
        "idField": "ticket_id",
        "titleField": "subject",
        "contentTemplate": "{{ subject }}\n\n{{ description }}",
        "aclUsersField": "readers",
        "metadataFields": ["priority"],
    }
    spec_mapping.update(mapping)
    data = {
        "apiVersion": "sync.gemini.io/v1alpha1",
        "kind": "Connector",
        "metadata": {"name": name},
        "spec": {
            "mode": "rest_push",
            "source": {"type": "http", "secretRef": f"{name}-token"},
            "mapping": spec_mapping,
            "output": {"bucket": bucket},
            "gemini": {"projectId": "example-project", "location": "us", "dataStoreId": f"{name}-ds"},
            "reconciliation": {"deletePolicy": policy},
        },
    }
    return lower(data, (INPUT,))


def write_plan(folder: Path, plan: Plan) -> Path:
    path = folder / f"{plan.name}.plan.json"
    path.write_bytes(dumps(plan))
    return path


TOKENS = {"tickets": "tickets-secret-token-1", "other": "other-secret-token-2"}


def auth(name: str = "tickets") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def upsert(ticket_id: object, subject: str = "subject", **extra: Any) -> dict[str, Any]:
    return {"op": "UPSERT", "record": {"ticket_id": ticket_id, "subject": subject, "description": "d", **extra}}


@contextlib.contextmanager
def receiver(
    state_dir: Path, plans: list[Plan] | None = None, limits: Limits | None = None
) -> Iterator[tuple[httpx.Client, PushReceiver]]:
    """A real uvicorn server (in a thread, on a free port) for `plans` (default: tickets and other) over queues
    in `state_dir`, and an httpx client pointed at it."""
    plans = plans or [push_plan("tickets"), push_plan("other")]
    limits = limits or Limits()
    writers = {p.name: QueueWriter(queue_path(state_dir, p.name), p.name) for p in plans}
    sock = socket.create_server(("127.0.0.1", 0))
    try:
        served = {p.name: ServedConnector(p, Door(p, limits.max_record_bytes), writers[p.name]) for p in plans}
        app = PushReceiver(served, Tokens({p.name: TOKENS[p.name] for p in plans}), limits)
        server = uvicorn.Server(uvicorn.Config(app.app(), log_level="warning", access_log=False, lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        port = sock.getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):
                if server.started:
                    break
                threading.Event().wait(0.01)
            try:
                yield client, app
            finally:
                server.should_exit = True
                thread.join(timeout=30)
    finally:
        sock.close()
        for writer in writers.values():
            writer.close()


def queued(state_dir: Path, name: str = "tickets") -> list[tuple[int, str, str, bytes | None]]:
    """Every event in a connector's queue, in order."""
    import sqlite3

    con = sqlite3.connect(queue_path(state_dir, name))
    try:
        return [
            (int(s), str(o), str(r), rec)
            for s, o, r, rec in con.execute("SELECT seq, op, raw_id, record FROM events ORDER BY seq")
        ]
    finally:
        con.close()
