"""`rest_push` cases: the real receiver application, in process, then the run drains its queue as `runtime exec`.

Each of the run's `given.pushes` is one request to the Starlette app of `runtime serve` (`PushReceiver`), sent
through `httpx.ASGITransport` (no socket): `POST /v1/connectors/<name>/events` with the case's stubbed bearer
token (the connector's secret, as `secrets:` gives it), a fresh `Idempotency-Key` and a JSON body. The app
checks the token, the body and every event at the door (the connector's own mapping and delete policy), and
commits the accepted events into the durable queue in the case's state folder (`HarnessRun.state_dir`), exactly
where `runtime serve --state-dir` keeps it. The run then drains that queue through `runtime.sources.open_pull`,
the runtime's own dispatch, as `runtime exec` does, so the position, the reduction to the last event per id and
the explicit deletes are the runtime's.

A push is `{events: [...]}` (sent as `{"events": [...]}`) or `{body: ...}` (a string is sent as that text
verbatim, any other value as its JSON), with `expectStatus` (default: 202, the receiver's success, with every
event accepted; with `expectStatus: 202` given, some events may be rejected). A push answered otherwise fails
the case with its index and the receiver's answer, before the run.

`given.fail`: the drain fails after reading the queued events, as a run that dies mid-way: nothing is drained
(the position is committed with the run, so it stays), nothing is deleted, and the events wait for the next run.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from compiler.plan import Plan, PushSource
from runtime.errors import ConfigError, SourceError
from runtime.harness.case import Case, Run
from runtime.harness.given.base import FailingPull, HarnessRun, Prepared
from runtime.push.app import PushReceiver, ServedConnector
from runtime.push.auth import Tokens
from runtime.push.door import Door
from runtime.push.limits import Limits
from runtime.push.queue import queue_path
from runtime.push.writer import QueueWriter
from runtime.sources import open_pull as runtime_open_pull
from runtime.sources.base import Pull, PullContext

SUCCESS_STATUS = 202
RECEIVER = "http://harness-receiver"
"""The receiver's base URL inside the process (ASGI: no socket, no host is contacted)."""
PUSH_KEYS = ("events", "body", "expectStatus")
ANSWER_CHARS = 500


class PushRefused(SourceError):
    """A push the receiver answered otherwise than the case expects."""


@dataclass(frozen=True, slots=True)
class GivenPush:
    index: int
    body: bytes
    expect: int | None
    """None: the receiver's success, every event accepted."""


def _pushes(given: Any, where: str) -> list[GivenPush]:
    if not isinstance(given, list):
        raise ConfigError(f"{where}: `given.pushes` is a list of {{events: [...]}} or {{body: ..., expectStatus: 400}}")
    pushes: list[GivenPush] = []
    for index, item in enumerate(given):
        at = f"{where}: given.pushes[{index + 1}]"
        if not isinstance(item, Mapping) or (unknown := set(item) - set(PUSH_KEYS)):
            shown = f"unknown key {sorted(unknown)[0]!r}; " if isinstance(item, Mapping) and unknown else ""
            raise ConfigError(f"{at}: {shown}a push is {{events: [...]}} or {{body: ...}}, with optional expectStatus")
        if ("events" in item) == ("body" in item):
            raise ConfigError(f"{at}: give `events` (a list of events) or `body` (the raw request body), not both")
        if "events" in item:
            if not isinstance(item["events"], list):
                raise ConfigError(f"{at}: `events` is a list of events, e.g. {{op: UPSERT, record: {{...}}}}")
            body = _json({"events": item["events"]})
        else:
            raw = item["body"]
            body = raw.encode() if isinstance(raw, str) else _json(raw)
        expect = item.get("expectStatus")
        if expect is not None and (isinstance(expect, bool) or not isinstance(expect, int) or not 100 <= expect <= 599):
            raise ConfigError(f"{at}: `expectStatus` is an HTTP status, e.g. 400")
        pushes.append(GivenPush(index, body, expect))
    return pushes


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()


def _check(push: GivenPush, response: httpx.Response, where: str) -> None:
    answer = " ".join(response.text[:ANSWER_CHARS].split())
    status = response.status_code
    if push.expect is not None:
        if status != push.expect:
            raise PushRefused(
                f"{where}: push {push.index + 1} was answered {status}, the case expects {push.expect}: {answer}"
            )
        return
    rejected = 0
    if status == SUCCESS_STATUS:
        try:
            rejected = int(response.json().get("rejected", 0))
        except (ValueError, AttributeError, TypeError):
            rejected = 0
    if status != SUCCESS_STATUS or rejected:
        detail = f" with {rejected} rejected event(s)" if rejected else ""
        raise PushRefused(
            f"{where}: push {push.index + 1} was answered {status}{detail}, the case expects {SUCCESS_STATUS} with"
            f" every event accepted: {answer}; fix the events, or set `expectStatus: {status}` if that is the point"
        )


async def _send(receiver: PushReceiver, name: str, token: str, pushes: list[GivenPush], run: int, where: str) -> None:
    transport = httpx.ASGITransport(app=receiver.app())
    async with httpx.AsyncClient(transport=transport, base_url=RECEIVER) as client:
        for push in pushes:
            response = await client.post(
                f"/v1/connectors/{name}/events",
                content=push.body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": f"harness-run-{run}-push-{push.index + 1}",
                    "Content-Type": "application/json",
                },
            )
            _check(push, response, where)


def push_all(plan: Plan, token: str, pushes: list[GivenPush], harness: HarnessRun, run: int, where: str) -> None:
    """Send `pushes` to the receiver app, in order, into the queue in the case's state folder."""
    limits = Limits()
    writer = QueueWriter(queue_path(harness.state_dir, plan.name), plan.name)
    try:
        served = {plan.name: ServedConnector(plan, Door(plan, limits.max_record_bytes), writer)}
        receiver = PushReceiver(served, Tokens({plan.name: token}), limits)
        asyncio.run(_send(receiver, plan.name, token, pushes, run, where))
    finally:
        writer.close()


def prepare_push(plan: Plan, source: PushSource, case: Case, run: Run, harness: HarnessRun) -> Prepared:
    from runtime.harness.runner import stub_secrets  # the runner imports this package: import when running

    where = f"{case.path}: run {run.index + 1}"
    if other := [k for k in run.given if k != "pushes"]:
        raise ConfigError(f"{where}: a rest_push run gives `pushes`, not {', '.join(other)}")
    pushes = _pushes(run.given.get("pushes", []), where)
    token = stub_secrets(case)(source.secret)  # the same value the run resolves the secret to
    push_all(plan, token, pushes, harness, run.index + 1, where)
    fail = run.fail

    def open_pull(context: PullContext) -> Pull:
        pull = runtime_open_pull(context)
        return pull if fail is None else FailingPull(pull, "the drain failed after the queued events", fail)

    return Prepared(plan=plan, open_pull=open_pull)
