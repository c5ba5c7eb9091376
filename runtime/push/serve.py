"""`runtime serve PLAN... [--host] [--port]`: receive pushes for one or more rest_push plans.

uvicorn runs the app. On SIGTERM (or Ctrl-C) it stops accepting connections, finishes the requests in flight
(each answered only once committed), then the queues close and the process exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from compiler.plan import Plan, PlanFormatError, PushSource, loads
from runtime.errors import ConfigError, RuntimeFailure
from runtime.planfile import check_fresh
from runtime.push.app import PushReceiver, ServedConnector
from runtime.push.auth import Tokens
from runtime.push.door import Door
from runtime.push.limits import Limits
from runtime.push.queue import queue_path
from runtime.push.writer import QueueWriter
from runtime.secrets import resolve_secret

GRACEFUL_SHUTDOWN_SECONDS = 30


def load_push_plan(path: Path, source_root: Path | None) -> Plan:
    try:
        plan = loads(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read plan {path}: {exc.strerror or exc}") from None
    except PlanFormatError as exc:
        raise ConfigError(f"plan {path} refused: {exc}; run compiler build") from None
    if source_root is not None:
        check_fresh(plan, source_root)
    if plan.mode != "rest_push" or not isinstance(plan.source, PushSource):
        raise ConfigError(
            f"plan {path}: runtime serve runs rest_push plans; {plan.name} is {plan.mode} (use runtime exec)"
        )
    return plan


def _plans(paths: Sequence[Path], source_root: Path | None) -> list[Plan]:
    plans: dict[str, Plan] = {}
    for path in paths:
        plan = load_push_plan(path, source_root)
        if plan.name in plans:
            raise ConfigError(f"plan {path}: connector {plan.name} is given twice")
        plans[plan.name] = plan
    return list(plans.values())


@contextlib.contextmanager
def _writers(plans: Sequence[Plan], state_dir: Path) -> Iterator[dict[str, QueueWriter]]:
    writers: dict[str, QueueWriter] = {}
    try:
        for plan in plans:
            writers[plan.name] = QueueWriter(queue_path(state_dir, plan.name), plan.name)
        yield writers
    finally:
        for writer in writers.values():
            writer.close()


def serve_command(args: argparse.Namespace) -> int:
    limits = Limits(args.max_body_bytes, args.max_events, args.max_record_bytes, args.max_depth)
    try:
        plans = _plans(args.plans, args.source_root)
        tokens = Tokens({plan.name: resolve_secret(_push(plan).secret) for plan in plans})
        try:
            family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
            sock = socket.create_server((args.host, args.port), family=family)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        with sock, _writers(plans, args.state_dir) as writers:
            served = {p.name: ServedConnector(p, Door(p, limits.max_record_bytes), writers[p.name]) for p in plans}
            receiver = PushReceiver(served, tokens, limits)
            host, port = sock.getsockname()[:2]
            host = f"[{host}]" if ":" in host else host
            for plan in plans:
                print(
                    f"runtime: serving {plan.name} at http://{host}:{port}/v1/connectors/{plan.name}/events"
                    f" (queue {writers[plan.name].path})",
                    file=sys.stderr,
                    flush=True,
                )
            _run(receiver, sock)
    except RuntimeFailure as failure:
        print(f"runtime: error: {failure}", file=sys.stderr)
        return failure.exit_code
    print("runtime: stopped; every acknowledged event is in its queue", file=sys.stderr)
    return 0


def _push(plan: Plan) -> PushSource:
    assert isinstance(plan.source, PushSource)  # load_push_plan checked it
    return plan.source


def _run(receiver: PushReceiver, sock: socket.socket) -> None:
    config = uvicorn.Config(
        receiver.app(),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal that stopped it once it has shut down; a handler of ours absorbs it, so the
    # queues close and the process exits 0.
    previous = {sig: signal.signal(sig, _absorb) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _absorb(sig: int, frame: FrameType | None) -> None:
    """Nothing to do: uvicorn has already shut down gracefully when this runs."""
