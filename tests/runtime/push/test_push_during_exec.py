"""The server keeps accepting while `runtime exec` drains (two processes, one SQLite queue, the DuckDB state
file only ever opened by exec): nothing blocks, nothing is lost, nothing is drained twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from tests.runtime.push.pushplans import TOKENS, auth, push_plan, upsert
from tests.runtime.push.serverproc import ServerProcess


def _exec(server: ServerProcess) -> subprocess.Popen[str]:
    env = {**os.environ, "SECRET_TICKETS_TOKEN": TOKENS["tickets"]}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runtime",
            "exec",
            str(server.plan_path),
            "--state-dir",
            str(server.state_dir),
            "--json",
        ],
        cwd=server.folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _push(client: httpx.Client, url: str, key: str, ids: list[str]) -> int:
    body = orjson.dumps([upsert(i) for i in ids])
    return client.post(url, content=body, headers={**auth(), "Idempotency-Key": key}).status_code


def _upsert_ids(out: Path, report: dict[str, object]) -> list[str]:
    path = out / "runs" / str(report["runId"]) / "upserts.ndjson"
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_pushes_during_an_exec_are_accepted_and_drained_by_the_next_run(tmp_path: Path) -> None:
    plan = push_plan(bucket=(tmp_path / "out").as_uri())
    out = Path(plan.output.base_uri.removeprefix("file://"))
    server = ServerProcess(tmp_path, plan)
    acked: list[str] = []
    try:
        with httpx.Client(timeout=30) as client:
            for number in range(40):  # a backlog, so the drain takes a while
                ids = [f"pre-{number}-{i}" for i in range(250)]
                assert _push(client, server.url, f"pre-{number}", ids) == 202
                acked += ids
            run = _exec(server)
            during: list[int] = []
            statuses: list[int] = []
            number = 0
            while run.poll() is None and number < 2000:
                ids = [f"live-{number}-{i}" for i in range(20)]
                started = time.monotonic()
                status = _push(client, server.url, f"live-{number}", ids)
                during.append(int((time.monotonic() - started) * 1000))
                statuses.append(status)
                if status == 202:
                    acked += ids
                number += 1
            stdout, stderr = run.communicate(timeout=120)
            assert run.returncode == 0, stderr
            assert set(statuses) == {202}, "a push failed while exec drained the queue"
            assert len(statuses) >= 3, "the pushes did not overlap the exec"
            first = json.loads(stdout)
            again = _exec(server)
            stdout, stderr = again.communicate(timeout=120)
            assert again.returncode == 0, stderr
            second = json.loads(stdout)
    finally:
        server.stop()
    drained = _upsert_ids(out, first) + _upsert_ids(out, second)
    assert len(drained) == len(set(drained)), "an event was drained twice"
    assert set(drained) == set(acked), "an acknowledged event was not drained"
    assert set(_upsert_ids(out, first)) >= {i for i in acked if i.startswith("pre-")}
    assert max(during) < 5000, f"a push waited {max(during)} ms for the exec"
